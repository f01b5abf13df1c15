package controller

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/devices/wiegand"
)

func TestDecideCard(t *testing.T) {
	s, err := OpenStore(StoreOptions{InMemory: true})
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.PutResident(Resident{ID: "li", Name: "Li Wei", Cards: []string{"1:1234"}}))
	require.NoError(t, s.PutResident(Resident{ID: "wang", Name: "Wang Fang", Cards: []string{"1:2001"}, Doors: []string{"north"}}))
	require.NoError(t, s.PutResident(Resident{ID: "gone", Name: "Moved Out", Cards: []string{"1:3000"}, Disabled: true}))
	c, err := New(Options{Store: s})
	require.NoError(t, err)

	card := func(fac uint8, n uint16) []byte { return wiegand.EncodeH10301(fac, n) }
	flip := card(1, 1234)
	flip[1] ^= 0x10
	tests := []struct {
		name    string
		bits    int
		data    []byte
		granted bool
		reason  string
		who     string
	}{
		{"resident", 26, card(1, 1234), true, ReasonGranted, "li"},
		{"unknown", 26, card(9, 9), false, ReasonUnknownCard, ""},
		{"parity error is a bad read, not a lookup", 26, flip, false, ReasonBadRead, ""},
		{"other door only", 26, card(1, 2001), false, ReasonNotAllowed, "wang"},
		{"disabled", 26, card(1, 3000), false, ReasonDisabled, "gone"},
		{"raw unknown format", 40, []byte{1, 2, 3, 4, 5}, false, ReasonUnknownCard, ""},
		{"garbage length", 33, []byte{1}, false, ReasonBadRead, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := c.DecideCard("main", tt.bits, tt.data)
			assert.Equal(t, tt.granted, d.Granted)
			assert.Equal(t, tt.reason, d.Reason)
			assert.Equal(t, tt.who, d.Resident.ID)
		})
	}
}
