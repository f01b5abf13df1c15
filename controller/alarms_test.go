package controller

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller/alarms"
)

// Package alarms names the terminal kinds that clear an alarm by their
// strings (it cannot import this package): they are this package's kinds.
func TestAlarmsClearOnTheControllersKinds(t *testing.T) {
	for _, k := range [][2]string{{KindPDOffline, KindPDOnline}, {KindPDTamper, KindPDTamperCleared}, {KindPDPower, KindPDPowerRestored}} {
		b := alarms.NewBook()
		b.Observe(Event{Seq: 1, Kind: k[0], PD: "p", Alarm: true})
		b.Observe(Event{Seq: 2, Kind: k[1], PD: "p"})
		open, _ := b.Open()
		require.Len(t, open, 1, k[0])
		if assert.NotNil(t, open[0].Cleared, "%s clears %s", k[1], k[0]) {
			assert.Equal(t, uint64(2), open[0].Cleared.Seq)
		}
	}
}
