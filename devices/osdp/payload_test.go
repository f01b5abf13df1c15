package osdp

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every plaintext payload in the capture parses, and encodes back to the
// same bytes.
func TestPayloadsFromCapture(t *testing.T) {
	n := 0
	for _, v := range loadVectors(t) {
		f, _, err := Decode(v.raw)
		if err != nil || f.SCB != nil {
			continue
		}
		var m Message
		if f.Reply {
			m, err = ParseReply(f.Code, f.Data)
		} else {
			m, err = ParseCommand(f.Code, f.Data)
		}
		if !f.Reply && (f.Code == 0x7f || (f.Code == CmdLED && len(f.Data) == 3)) {
			require.Error(t, err, "hand-built bad frame % x", v.raw) // unknown command, bad LED length
			continue
		}
		require.NoErrorf(t, err, "% x", v.raw)
		assert.Equalf(t, f.Data, m.AppendData([]byte{}), "%T", m)
		n++
	}
	assert.Greater(t, n, 60)
}

func TestPayloadFields(t *testing.T) {
	m, err := ParseReply(ReplyPDID, unhex(t, "b2 a1 00 99 01 04 03 02 01 0a 0b 0c"))
	require.NoError(t, err)
	assert.Equal(t, PDID{Vendor: [3]byte{0xb2, 0xa1, 0}, Model: 153, Version: 1, Serial: 0x01020304, Firmware: [3]byte{10, 11, 12}}, m)
	m, err = ParseCommand(CmdLED, unhex(t, "00 01 02 05 05 01 00 1e 00 00 00 00 00 00"))
	require.NoError(t, err)
	assert.Equal(t, LED{[]LEDRecord{{Reader: 0, LED: 1, Temp: LEDTemp{2, 5, 5, 1, 0, 30}}}}, m)
	m, err = ParseCommand(CmdOUT, unhex(t, "01 05 14 00"))
	require.NoError(t, err)
	assert.Equal(t, Out{[]OutRecord{{1, OutTempOnThenOff, 20}}}, m)
	m, err = ParseCommand(CmdTEXT, unhex(t, "00 01 00 01 01 05 48 65 6c 6c 6f"))
	require.NoError(t, err)
	assert.Equal(t, Text{0, 1, 0, 1, 1, "Hello"}, m)

	for _, bad := range []struct {
		code byte
		data string
	}{{CmdOUT, "01 07 00 00"}, {CmdOUT, "01 02 00"}, {CmdLED, "00"}, {CmdTEXT, "00 01 00 01 01 09 48"}, {CmdKEYSET, "01 08 00"}, {CmdCOMSET, "7f 80 25 00 00"}} {
		_, err := ParseCommand(bad.code, unhex(t, bad.data))
		assert.ErrorIs(t, err, ErrPayload, "%s % s", CodeName(bad.code, false), bad.data)
	}
	_, err = ParseReply(ReplyRAW, unhex(t, "00 01 1a 00 8a 12 34"))
	assert.ErrorIs(t, err, ErrPayload, "26 bits need 4 bytes")
	assert.NotContains(t, Raw{Bits: 26, Data: []byte{0x8a}}.String(), "8a", "card data stays out of strings")
	assert.NotContains(t, KeySet{Type: 1, Key: []byte{0xAB}}.String(), "ab")
}

func fuzzPayload(f *testing.F, reply bool) {
	for _, v := range loadVectors(f) {
		if fr, _, err := Decode(v.raw); err == nil && fr.SCB == nil && fr.Reply == reply {
			f.Add(fr.Code, fr.Data)
		}
	}
	parse := ParseCommand
	if reply {
		parse = ParseReply
	}
	f.Fuzz(func(t *testing.T, code byte, data []byte) {
		m, err := parse(code, data)
		if err != nil {
			return
		}
		again, err := parse(code, m.AppendData(nil))
		if err != nil {
			t.Fatalf("%T re-encodes to bytes it refuses: %v", m, err)
		}
		if !reflect.DeepEqual(normalize(m), normalize(again)) {
			t.Fatalf("round trip %#v != %#v", m, again)
		}
	})
}

// normalize maps empty slices to nil so DeepEqual compares content.
func normalize(m Message) Message {
	v := reflect.ValueOf(&m).Elem().Elem()
	c := reflect.New(v.Type()).Elem()
	c.Set(v)
	for i := range c.NumField() {
		if fl := c.Field(i); fl.Kind() == reflect.Slice && fl.Len() == 0 && fl.CanSet() {
			fl.Set(reflect.Zero(fl.Type()))
		}
	}
	return c.Interface().(Message)
}

func FuzzParseCommand(f *testing.F) { fuzzPayload(f, false) }
func FuzzParseReply(f *testing.F)   { fuzzPayload(f, true) }

func FuzzParseCCrypt(f *testing.F) {
	f.Add(unhex(f, "b2a1990004030201 0ed1b7f47ce42fc4 72fa3e57390c6bce385f4a2eab971e49"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCCrypt(b)
		if err == nil && string(c.AppendData(nil)) != string(b) {
			t.Fatal("round trip")
		}
	})
}
