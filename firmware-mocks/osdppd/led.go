package osdppd

import (
	"time"

	"menwei/devices/osdp"
)

// LEDState is what one reader LED is set to.
type LEDState struct {
	Perm osdp.LEDPerm
	// Temp is the running temporary operation; zero when none runs.
	Temp osdp.LEDTemp
	// Color is the on-colour shown now: Temp.OnColor while the temporary
	// timer runs, else Perm.OnColor.
	Color byte
}

type ledState struct {
	perm  osdp.LEDPerm
	temp  osdp.LEDTemp
	until time.Time
}

func (l ledState) at(now time.Time) LEDState {
	s := LEDState{Perm: l.perm, Color: l.perm.OnColor}
	if !l.until.IsZero() && now.Before(l.until) {
		s.Temp, s.Color = l.temp, l.temp.OnColor
	}
	return s
}

// LED temporary control codes (osdp_LED, spec §6.10); the permanent part has
// 0 no change and 1 set.
const (
	ledTempNOP    = 0
	ledTempCancel = 1
	ledTempSet    = 2
	ledPermSet    = 1
)

// led runs LED. Each 14-byte record addresses reader 0 and LED 0 or 1;
// anything else is NAK 3 and changes nothing, an unknown control code NAK 9.
// A temporary operation lasts Timer × 100 ms, then the permanent state shows.
func (p *PD) led(m osdp.LED) reply {
	for _, r := range m.Records {
		switch {
		case r.Reader != 0 || int(r.LED) >= numLEDs:
			return nak(osdp.NAKUnknownCmd)
		case r.Temp.Control > ledTempSet || r.Perm.Control > ledPermSet:
			return nak(osdp.NAKUnableToProcess)
		}
	}
	now := p.cfg.Now()
	for _, r := range m.Records {
		l := &p.leds[r.LED]
		switch r.Temp.Control {
		case ledTempCancel:
			l.temp, l.until = osdp.LEDTemp{}, time.Time{}
		case ledTempSet:
			l.temp = r.Temp
			l.until = now.Add(time.Duration(r.Temp.Timer) * 100 * time.Millisecond)
		}
		if r.Perm.Control == ledPermSet {
			l.perm = r.Perm
		}
	}
	return ack()
}
