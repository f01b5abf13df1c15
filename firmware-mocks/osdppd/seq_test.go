package osdppd_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/devices/osdp"
	"menwei/firmware-mocks/osdppd"
)

func TestSequenceNumbers(t *testing.T) {
	type step struct {
		seq     byte
		wantSeq byte
		nak     int // -1: not a NAK
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"0 then 1 2 3 1 2", []step{{0, 0, -1}, {1, 1, -1}, {2, 2, -1}, {3, 3, -1}, {1, 1, -1}, {2, 2, -1}}},
		{"a fresh PD expects 0", []step{{1, 0, osdp.NAKUnexpectedSeq}, {0, 0, -1}}},
		{"a skip is NAK 4 with the expected number", []step{{0, 0, -1}, {1, 1, -1}, {3, 2, osdp.NAKUnexpectedSeq}, {2, 2, -1}}},
		{"after a skip the state has not moved", []step{{0, 0, -1}, {2, 1, osdp.NAKUnexpectedSeq}, {3, 1, osdp.NAKUnexpectedSeq}, {1, 1, -1}}},
		{"0 restarts at any time", []step{{0, 0, -1}, {1, 1, -1}, {0, 0, -1}, {1, 1, -1}}},
		{"0 twice is two restarts", []step{{0, 0, -1}, {0, 0, -1}, {1, 1, -1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPD(t, osdppd.Config{Install: true})
			c := newCP(t, p)
			for i, s := range tc.steps {
				r := c.open(c.sendSeq(s.seq, osdp.CmdPOLL, nil))
				assert.Equal(t, s.wantSeq, r.Seq, "step %d", i)
				assert.Equal(t, s.nak, nakCode(r), "step %d", i)
			}
		})
	}
}

func TestRepeatResendsWithoutRunning(t *testing.T) {
	p := newPD(t, osdppd.Config{Install: true})
	c := newCP(t, p)
	c.do(osdp.Poll{})
	p.PresentWiegand26(7, 42)
	first := c.send(osdp.CmdPOLL, nil)
	require.Equal(t, byte(osdp.ReplyRAW), decode(t, first).Code)
	again := c.sendSeq(byte(c.last), osdp.CmdPOLL, nil)
	assert.Equal(t, first, again, "the lost card comes again, same bytes")
	assert.Equal(t, byte(osdp.ReplyACK), c.do(osdp.Poll{}).Code, "and only once")

	// A repeated OUT is not run twice: the history has one OUT.
	out := osdp.Out{Records: []osdp.OutRecord{{Output: 0, Control: osdp.OutPermOnAbort}}}
	a := c.send(out.Code(), out.AppendData(nil))
	b := c.sendSeq(byte(c.last), out.Code(), out.AppendData(nil))
	assert.Equal(t, a, b)
	n := 0
	for _, m := range p.Commands() {
		if m.Code() == osdp.CmdOUT {
			n++
		}
	}
	assert.Equal(t, 1, n)
}

func TestRepeatOfANAKIsTheSameNAK(t *testing.T) {
	p := newPD(t, osdppd.Config{Install: true})
	c := newCP(t, p)
	a := c.send(0x7F, nil)
	b := c.sendSeq(byte(c.last), 0x7F, nil)
	assert.Equal(t, a, b)
	assert.Equal(t, osdp.NAKUnknownCmd, nakCode(decode(t, b)))
}
