package osdppd_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"menwei/devices/osdp"
	"menwei/firmware-mocks/osdppd"
)

func TestOutControlCodes(t *testing.T) {
	type at struct {
		after time.Duration // from the last command
		on    bool
	}
	rec := func(cc byte, timer uint16) osdp.OutRecord {
		return osdp.OutRecord{Output: 0, Control: cc, Timer: timer}
	}
	for _, tc := range []struct {
		name  string
		cmds  []osdp.OutRecord
		check []at
	}{
		{"0 changes nothing", []osdp.OutRecord{rec(osdp.OutPermOnAbort, 0), rec(osdp.OutNOP, 0)}, []at{{0, true}}},
		{"2 permanent on", []osdp.OutRecord{rec(osdp.OutPermOnAbort, 0)}, []at{{0, true}, {time.Hour, true}}},
		{"1 permanent off", []osdp.OutRecord{rec(osdp.OutPermOnAbort, 0), rec(osdp.OutPermOffAbort, 0)}, []at{{0, false}}},
		{"5 on for 3 s, then off", []osdp.OutRecord{rec(osdp.OutTempOnThenOff, 30)},
			[]at{{0, true}, {2999 * time.Millisecond, true}, {time.Millisecond, false}}},
		{"6 off for 2 s over permanent on", []osdp.OutRecord{rec(osdp.OutPermOnAbort, 0), rec(osdp.OutTempOffThenOn, 20)},
			[]at{{0, false}, {2 * time.Second, true}}},
		{"2 aborts a timed operation", []osdp.OutRecord{rec(osdp.OutTempOffThenOn, 50), rec(osdp.OutPermOnAbort, 0)},
			[]at{{0, true}}},
		{"1 aborts a timed operation", []osdp.OutRecord{rec(osdp.OutTempOnThenOff, 50), rec(osdp.OutPermOffAbort, 0)},
			[]at{{0, false}}},
		{"4 lets a timed operation finish", []osdp.OutRecord{rec(osdp.OutTempOffThenOn, 50), rec(osdp.OutPermOnAllow, 0)},
			[]at{{0, false}, {5 * time.Second, true}}},
		{"3 lets a timed operation finish", []osdp.OutRecord{rec(osdp.OutPermOnAbort, 0), rec(osdp.OutTempOnThenOff, 10), rec(osdp.OutPermOffAllow, 0)},
			[]at{{0, true}, {time.Second, false}}},
		{"a new timer replaces the old", []osdp.OutRecord{rec(osdp.OutTempOnThenOff, 100), rec(osdp.OutTempOnThenOff, 10)},
			[]at{{time.Second, false}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock()
			p := newPD(t, osdppd.Config{Install: true, Now: clk.Now})
			c := newCP(t, p)
			for _, r := range tc.cmds {
				assert.Equal(t, osdp.Ack{}, c.reply(osdp.Out{Records: []osdp.OutRecord{r}}))
			}
			for i, a := range tc.check {
				clk.Advance(a.after)
				assert.Equal(t, a.on, p.Outputs()[0], "check %d", i)
			}
		})
	}
}

func TestOutSeveralRecordsAndMissingOutput(t *testing.T) {
	p := newPD(t, osdppd.Config{Install: true, Outputs: 2})
	c := newCP(t, p)
	assert.Equal(t, osdp.Ack{}, c.reply(osdp.Out{Records: []osdp.OutRecord{
		{Output: 0, Control: osdp.OutPermOnAbort}, {Output: 1, Control: osdp.OutPermOnAbort},
	}}))
	assert.Equal(t, []bool{true, true}, p.Outputs())
	r := c.do(osdp.Out{Records: []osdp.OutRecord{{Output: 0, Control: osdp.OutPermOffAbort}, {Output: 2, Control: osdp.OutPermOffAbort}}})
	assert.Equal(t, osdp.NAKUnknownCmd, nakCode(r))
	assert.Equal(t, []bool{true, true}, p.Outputs(), "nothing applied")
}
