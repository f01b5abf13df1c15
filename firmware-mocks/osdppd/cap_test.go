package osdppd_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/devices/osdp"
	"menwei/firmware-mocks/osdppd"
)

func TestCapabilities(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  osdppd.Config
		want string // function compliance number, hex
	}{
		{"default reader", osdppd.Config{Install: true},
			"010104 020104 030100 040102 050101 060101 080100 090100 0aa005 0e0100 100200"},
		{"captured libosdp PD", osdppd.Config{Install: true, NoBiometrics: true},
			"010104 020104 030100 040102 050101 060101 080100 090100 0a0001 100200"},
		{"8 inputs, 2 outputs, with a key", osdppd.Config{SCBK: unhex(t, testKey), Inputs: 8, Outputs: 2, NoBiometrics: true},
			"010108 020102 030100 040102 050101 060101 080100 090100 0a0001 100200"},
		{"no key, not install: no secure channel", osdppd.Config{NoBiometrics: true},
			"010104 020104 030100 040102 050101 060101 080100 090000 0a0001 100200"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCP(t, newPD(t, tc.cfg))
			r := c.do(osdp.CapReq{})
			require.Equal(t, byte(osdp.ReplyPDCAP), r.Code)
			assert.Equal(t, hexs(unhex(t, tc.want)), hexs(r.Data))
		})
	}
}
