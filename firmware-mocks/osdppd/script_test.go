package osdppd_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/devices/osdp"
	"menwei/firmware-mocks/osdppd"
)

// h10301 reads a 26-bit card bit by bit, independently of the PD's code:
// P FFFFFFFF CCCCCCCCCCCCCCCC P, even parity over bits 1-12, odd over 13-24.
func h10301(t testing.TB, r osdp.Raw) (facility, card int, parityOK bool) {
	t.Helper()
	require.Equal(t, uint16(26), r.Bits)
	require.Len(t, r.Data, 4)
	bit := func(i int) int { return int(r.Data[i/8]>>(7-i%8)) & 1 }
	ones := func(from, to int) (n int) {
		for i := from; i <= to; i++ {
			n += bit(i)
		}
		return n
	}
	for i := 1; i <= 8; i++ {
		facility = facility<<1 | bit(i)
	}
	for i := 9; i <= 24; i++ {
		card = card<<1 | bit(i)
	}
	even := (ones(0, 12) % 2) == 0
	odd := (ones(13, 25) % 2) == 1
	pad := r.Data[3] & 0x3F
	return facility, card, even && odd && pad == 0
}

func TestPresentWiegand26(t *testing.T) {
	p := newPD(t, osdppd.Config{Install: true})
	c := newCP(t, p)
	for _, tc := range []struct {
		fc   uint8
		card uint16
	}{{0, 0}, {1, 1234}, {20, 9321}, {255, 65535}, {0x80, 0x0001}, {0x0F, 0xF000}} {
		p.PresentWiegand26(tc.fc, tc.card)
		raw := c.reply(osdp.Poll{}).(osdp.Raw)
		assert.Equal(t, byte(osdp.RawFormatWiegand), raw.Format)
		fc, card, ok := h10301(t, raw)
		assert.Equal(t, int(tc.fc), fc)
		assert.Equal(t, int(tc.card), card)
		assert.True(t, ok, "parity of %d:%d", tc.fc, tc.card)
	}
	// The captured test card 8a1234c0 is facility 20, card 9321 with its odd
	// parity bit flipped; the PD builds the valid one.
	p.PresentWiegand26(20, 9321)
	assert.Equal(t, "8a123480", hexs(c.reply(osdp.Poll{}).(osdp.Raw).Data))
}

func TestPresentCard(t *testing.T) {
	p := newPD(t, osdppd.Config{Install: true})
	c := newCP(t, p)
	require.NoError(t, p.PresentCard(26, []byte{0x8a, 0x12, 0x34, 0xc0}))
	assert.Equal(t, osdp.Raw{Format: 1, Bits: 26, Data: []byte{0x8a, 0x12, 0x34, 0xc0}}, c.reply(osdp.Poll{}))
	require.NoError(t, p.PresentCardFormat(osdp.RawFormatUnspecified, 40, []byte{1, 2, 3, 4, 5}))
	assert.Equal(t, osdp.Raw{Format: 0, Bits: 40, Data: []byte{1, 2, 3, 4, 5}}, c.reply(osdp.Poll{}))
	assert.Error(t, p.PresentCard(26, []byte{1, 2, 3}))
	assert.Error(t, p.PresentCard(0, nil))
	assert.Equal(t, 0, p.State().Pending)
}

func TestTypeKeys(t *testing.T) {
	p := newPD(t, osdppd.Config{Install: true})
	c := newCP(t, p)
	p.TypeKeys("12*4#")
	assert.Equal(t, osdp.Keypad{Keys: []byte{'1', '2', 0x7F, '4', 0x0D}}, c.reply(osdp.Poll{}))
	long := make([]byte, 300)
	for i := range long {
		long[i] = '0' + byte(i%10)
	}
	p.TypeKeys(string(long))
	assert.Len(t, c.reply(osdp.Poll{}).(osdp.Keypad).Keys, 255)
	assert.Len(t, c.reply(osdp.Poll{}).(osdp.Keypad).Keys, 45)
}

func TestInputsTamperPower(t *testing.T) {
	p := newPD(t, osdppd.Config{Install: true})
	c := newCP(t, p)
	require.NoError(t, p.SetInput(0, true))
	require.NoError(t, p.SetInput(0, true)) // no change, no report
	assert.Error(t, p.SetInput(4, true))
	assert.Error(t, p.SetInput(-1, true))
	assert.Equal(t, osdp.IStatR{Inputs: []byte{1, 0, 0, 0}}, c.reply(osdp.Poll{}))
	p.SetTamper(false) // no change
	p.SetPower(true)
	assert.Equal(t, osdp.LStatR{Power: 1}, c.reply(osdp.Poll{}))
	assert.Equal(t, osdp.Ack{}, c.reply(osdp.Poll{}))
}

func TestModes(t *testing.T) {
	p := newPD(t, osdppd.Config{Install: true})
	c := newCP(t, p)
	c.do(osdp.Poll{})
	ran := len(p.Commands())

	p.SetMode(osdppd.Silent)
	assert.Nil(t, c.send(osdp.CmdPOLL, nil))

	p.SetMode(osdppd.Garbage)
	for range 20 {
		g := c.send(osdp.CmdID, []byte{0})
		assert.NotEmpty(t, g)
		assert.NotContains(t, g, byte(osdp.SOM), "garbage never looks like a frame")
	}
	assert.Len(t, p.Commands(), ran, "silent and garbage PDs run nothing")

	p.SetMode(osdppd.NAKAll)
	c.last = -1
	assert.Equal(t, osdp.NAKUnableToProcess, nakCode(c.do(osdp.Poll{})))
	assert.Equal(t, osdp.NAKUnableToProcess, nakCode(c.do(osdp.IDReq{})))

	p.SetMode(osdppd.Normal)
	assert.Equal(t, osdp.Ack{}, c.reply(osdp.Poll{}))
	assert.Equal(t, osdppd.Normal, p.Mode())
}

func TestParseMode(t *testing.T) {
	for _, m := range []osdppd.Mode{osdppd.Normal, osdppd.Silent, osdppd.Garbage, osdppd.NAKAll, osdppd.Plaintext} {
		got, err := osdppd.ParseMode(m.String())
		require.NoError(t, err)
		assert.Equal(t, m, got)
	}
	_, err := osdppd.ParseMode("loud")
	assert.Error(t, err)
	assert.Equal(t, "nak", osdppd.NAKAll.String())
	assert.Equal(t, "Mode(9)", osdppd.Mode(9).String())
}

func TestBusyNext(t *testing.T) {
	scbk := key16(t, testKey)
	p := newPD(t, osdppd.Config{SCBK: scbk[:]})
	c := newCP(t, p)
	c.handshake(scbk, osdp.KeySelSCBK)
	p.BusyNext(2)
	out := osdp.Out{Records: []osdp.OutRecord{{Output: 3, Control: osdp.OutPermOnAbort}}}
	seq := c.next()
	for range 2 {
		r := c.open(c.sendSeq(seq, out.Code(), out.AppendData(nil)))
		assert.Equal(t, byte(osdp.ReplyBUSY), r.Code)
		assert.Equal(t, byte(0), r.Seq, "BUSY carries sequence 0")
		assert.Nil(t, r.SCB, "BUSY is plaintext, the MAC chain does not move")
		assert.False(t, p.Outputs()[3], "not run")
	}
	r := c.open(c.sendSeq(seq, out.Code(), out.AppendData(nil)))
	assert.Equal(t, byte(osdp.ReplyACK), r.Code, "the retry with the same number runs")
	assert.True(t, p.Outputs()[3])
	assert.Len(t, p.Commands(), 1)
}

func TestSetKey(t *testing.T) {
	scbk := key16(t, testKey)
	p := newPD(t, osdppd.Config{SCBK: scbk[:]})
	c := newCP(t, p)
	c.handshake(scbk, osdp.KeySelSCBK)
	assert.Error(t, p.SetKey([]byte{1, 2, 3}))
	assert.True(t, p.SCActive())
	other := key16(t, "ffeeddccbbaa99887766554433221100")
	require.NoError(t, p.SetKey(other[:]))
	assert.False(t, p.SCActive())
	assert.Equal(t, other[:], p.Key())
	c.handshake(other, osdp.KeySelSCBK)
	require.NoError(t, p.SetKey(nil))
	assert.Nil(t, p.Key())
	assert.False(t, p.State().HasKey)
}

func TestState(t *testing.T) {
	p := newPD(t, osdppd.Config{Addr: 4, Install: true, Inputs: 2, Outputs: 1})
	c := newCP(t, p)
	c.do(osdp.Text{Command: 1, Text: "hi"})
	p.SetTamper(true)
	assert.Equal(t, osdppd.State{
		Addr: 4, Mode: osdppd.Normal, Install: true, Tamper: true,
		Inputs: []bool{false, false}, Outputs: []bool{false},
		LEDs: []osdppd.LEDState{{}, {}}, Text: "hi", Pending: 1,
	}, p.State())
}
