package osdppd_test

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/devices/osdp"
	"menwei/firmware-mocks/osdppd"
)

func TestNewValidates(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  osdppd.Config
	}{
		{"broadcast address", osdppd.Config{Addr: 0x7F}},
		{"address above 0x7e", osdppd.Config{Addr: 0x90}},
		{"short key", osdppd.Config{SCBK: make([]byte, 15)}},
		{"empty non-nil key", osdppd.Config{SCBK: []byte{}}},
		{"negative inputs", osdppd.Config{Inputs: -1}},
		{"too many outputs", osdppd.Config{Outputs: 65}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := osdppd.New(tc.cfg)
			assert.Error(t, err)
		})
	}
	p, err := osdppd.New(osdppd.Config{})
	require.NoError(t, err)
	assert.Equal(t, byte(0), p.Addr())
	assert.Len(t, p.Outputs(), 4, "zero Outputs means 4")
	assert.Len(t, p.State().Inputs, 4, "zero Inputs means 4")
	assert.Nil(t, p.Key())
}

func TestConfigKeyIsCopied(t *testing.T) {
	key := unhex(t, testKey)
	p := newPD(t, osdppd.Config{SCBK: key})
	key[0] = 0xEE
	assert.Equal(t, unhex(t, testKey), p.Key())
	got := p.Key()
	got[1] = 0xEE
	assert.Equal(t, unhex(t, testKey), p.Key())
}

func TestHandleAddressing(t *testing.T) {
	p := newPD(t, osdppd.Config{Addr: 9, Install: true})
	poll := func(addr byte, reply bool) []byte {
		return p.Handle(osdp.Frame{Addr: addr, Reply: reply, Seq: 0, CRC: true, Code: osdp.CmdPOLL})
	}
	assert.Nil(t, poll(8, false), "another address")
	assert.Nil(t, poll(9, true), "a reply from a PD at our address")
	r := decode(t, poll(9, false))
	assert.Equal(t, osdp.Frame{Addr: 9, Reply: true, Seq: 0, CRC: true, Code: osdp.ReplyACK, Data: []byte{}}, r)
	raw := poll(osdp.Broadcast, false)
	assert.Equal(t, []byte{osdp.Mark, osdp.SOM, 0xFF}, raw[:3], "a broadcast is answered from 0xFF")
}

func TestReplyFollowsCheckMode(t *testing.T) {
	p := newPD(t, osdppd.Config{Addr: 3, Install: true})
	raw := p.Handle(osdp.Frame{Addr: 3, CRC: false, Code: osdp.CmdID, Data: []byte{0}})
	r := decode(t, raw)
	assert.False(t, r.CRC, "checksum in, checksum out")
	assert.Equal(t, byte(osdp.ReplyPDID), r.Code)
	assert.Equal(t, byte(osdp.Mark), raw[0], "the mark byte leads every reply")
}

func TestCommandLengths(t *testing.T) {
	// Every command with a data length the manual does not allow is NAK 2.
	for _, tc := range []struct {
		code byte
		data []byte
	}{
		{osdp.CmdPOLL, []byte{0}},
		{osdp.CmdID, nil},
		{osdp.CmdCAP, []byte{0, 0}},
		{osdp.CmdLSTAT, []byte{1}},
		{osdp.CmdISTAT, []byte{1}},
		{osdp.CmdOSTAT, []byte{1}},
		{osdp.CmdRSTAT, []byte{1}},
		{osdp.CmdOUT, nil},
		{osdp.CmdOUT, []byte{0, 1, 0}},
		{osdp.CmdLED, make([]byte, 13)},
		{osdp.CmdLED, make([]byte, 15)},
		{osdp.CmdBUZ, make([]byte, 4)},
		{osdp.CmdTEXT, []byte{0, 1, 0, 1, 1, 3, 'a'}},
		{osdp.CmdTEXT, []byte{0, 1, 0, 1, 1}},
		{osdp.CmdCOMSET, make([]byte, 4)},
		{osdp.CmdBIOREAD, make([]byte, 5)},
		{osdp.CmdBIOMATCH, []byte{0, 0, 0, 0, 2, 0, 1}},
		{osdp.CmdKEYSET, []byte{1, 16, 1, 2}},
		{osdp.CmdMFG, []byte{1, 2}},
		{osdp.CmdACURXSIZE, []byte{1}},
		{osdp.CmdKEEPACTIVE, []byte{1, 2, 3}},
		{osdp.CmdCHLNG, make([]byte, 7)},
	} {
		t.Run(osdp.CodeName(tc.code, false), func(t *testing.T) {
			p := newPD(t, osdppd.Config{Install: true})
			c := newCP(t, p)
			f := osdp.Frame{Addr: 0, Seq: 0, CRC: true, Code: tc.code, Data: tc.data}
			if tc.code == osdp.CmdCHLNG {
				f.SCB = []byte{osdp.SCS11, 0}
			}
			r := c.open(p.Handle(decode(t, encode(t, f))))
			assert.Equal(t, osdp.NAKCmdLength, nakCode(r))
			assert.Empty(t, p.Commands(), "a refused command is not run")
		})
	}
}

func TestUnknownAndImpossibleCommands(t *testing.T) {
	p := newPD(t, osdppd.Config{Install: true})
	c := newCP(t, p)
	for _, tc := range []struct {
		name string
		code byte
		data []byte
		nak  int
	}{
		{"unknown code", 0x7F, nil, osdp.NAKUnknownCmd},
		{"a reply code", osdp.ReplyACK, nil, osdp.NAKUnknownCmd},
		{"OUT control code 7", osdp.CmdOUT, []byte{0, 7, 0, 0}, osdp.NAKUnableToProcess},
		{"COMSET to the broadcast address", osdp.CmdCOMSET, []byte{0x7F, 0, 0x25, 0, 0}, osdp.NAKUnableToProcess},
		{"KEYSET of another key type", osdp.CmdKEYSET, append([]byte{2, 16}, make([]byte, 16)...), osdp.NAKUnableToProcess},
	} {
		r := c.open(c.send(tc.code, tc.data))
		assert.Equal(t, tc.nak, nakCode(r), tc.name)
	}
}

func TestReceiveBuffer(t *testing.T) {
	// The libosdp-like PD advertises 256 bytes and refuses more (NAK 2).
	p := newPD(t, osdppd.Config{Install: true, NoBiometrics: true})
	c := newCP(t, p)
	text := osdp.Text{Command: 1, Row: 1, Col: 1, Text: string(bytes.Repeat([]byte{'x'}, 250))}
	assert.Equal(t, osdp.NAKCmdLength, nakCode(c.do(text)))
	text.Text = "fits"
	assert.Equal(t, byte(osdp.ReplyACK), c.do(text).Code)

	// With the fingerprint sensor there is room for a template.
	p = newPD(t, osdppd.Config{Install: true})
	c = newCP(t, p)
	m := c.reply(osdp.BioMatch{Type: 1, Format: 2, Threshold: 50, Template: make([]byte, 800)})
	assert.IsType(t, osdp.BioMatchR{}, m)
}

func TestConcurrentScriptingAndHandle(t *testing.T) {
	// Run with -race: the bus goroutine and a test goroutine share the PD.
	p := newPD(t, osdppd.Config{Install: true})
	c := newCP(t, p)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; i < 200; i++ {
			p.PresentWiegand26(1, uint16(i))
			_ = p.SetInput(i%4, i%2 == 0)
			p.SetTamper(i%3 == 0)
			_ = p.State()
			_ = p.Commands()
		}
	})
	wg.Go(func() {
		for range 50 {
			if _, err := p.WaitCommand(ctx, osdp.CmdOUT); err != nil {
				return
			}
		}
	})
	for i := 0; i < 300; i++ {
		c.do(osdp.Poll{})
		if i%6 == 0 {
			c.do(osdp.Out{Records: []osdp.OutRecord{{Output: 1, Control: osdp.OutTempOnThenOff, Timer: 5}}})
		}
	}
	wg.Wait()
}

// FuzzHandle feeds arbitrary frames to PDs in each security setup: Handle
// must not panic, and what it answers must be one well-formed reply frame.
func FuzzHandle(f *testing.F) {
	for _, ex := range loadTranscript(f) {
		f.Add(ex.cmd, byte(0))
		f.Add(ex.cmd, byte(1))
		f.Add(ex.cmd, byte(2))
	}
	f.Fuzz(func(t *testing.T, b []byte, setup byte) {
		in, _, err := osdp.Decode(b)
		if err != nil {
			return
		}
		cfg := osdppd.Config{Addr: 101, Rand: bytes.NewReader(make([]byte, 64))}
		switch setup % 3 {
		case 0:
			cfg.Install = true
		case 1:
			cfg.SCBK = unhex(t, testKey)
		}
		p := newPD(t, cfg)
		for range 2 { // the second time may come from the reply cache
			raw := p.Handle(in)
			if raw == nil {
				continue
			}
			r, n, err := osdp.Decode(raw)
			require.NoError(t, err)
			require.Equal(t, len(raw), n)
			require.True(t, r.Reply)
		}
	})
}
