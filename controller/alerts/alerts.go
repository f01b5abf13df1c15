// Package alerts draws risk warnings from the stream of events: a burst of
// denials at one door, the same unknown card (or face) again and again,
// repeated wrong PINs, a door forced or held open, a terminal tampered with
// or gone offline. It is pure: Observe takes an event and returns the alert
// events to record.
package alerts

import (
	"fmt"
	"time"

	"menwei/controller/eventlog"
)

// Threshold is "Count events within Window".
type Threshold struct {
	Count  int
	Window time.Duration
}

// Config sets the thresholds.
type Config struct {
	Denials       Threshold // denials at one door
	UnknownRepeat Threshold // the same unknown credential
	WrongPIN      Threshold // wrong PINs for one identity
}

// Alert kinds.
const (
	DenialBurst     = "alert.denial_burst"
	UnknownRepeated = "alert.unknown_repeated"
	WrongPINs       = "alert.wrong_pin"
	DoorForced      = "alert.door_forced"
	DoorHeld        = "alert.door_held_open"
	Tamper          = "alert.tamper"
	TerminalOffline = "alert.terminal_offline"
	Duress          = "alert.duress"
)

// Watcher keeps the recent history the thresholds need.
type Watcher struct {
	cfg     Config
	seen    map[string][]time.Time // rule/key → recent times
	alerted map[string]time.Time   // rule/key → last alert, to say it once per window
}

// New returns a watcher.
func New(cfg Config) *Watcher {
	return &Watcher{cfg: cfg, seen: map[string][]time.Time{}, alerted: map[string]time.Time{}}
}

// count records one occurrence and reports whether the threshold is reached
// and not yet alerted within the window.
func (w *Watcher) count(key string, t time.Time, th Threshold) (int, bool) {
	recent := w.seen[key][:0]
	for _, x := range w.seen[key] {
		if t.Sub(x) < th.Window {
			recent = append(recent, x)
		}
	}
	recent = append(recent, t)
	if len(recent) > th.Count {
		recent = recent[len(recent)-th.Count:]
	}
	w.seen[key] = recent
	if len(recent) < th.Count {
		return len(recent), false
	}
	if last, ok := w.alerted[key]; ok && t.Sub(last) < th.Window {
		return len(recent), false
	}
	w.alerted[key] = t
	return len(recent), true
}

// Observe looks at one recorded event and returns the alerts it raises.
func (w *Watcher) Observe(e eventlog.Event) []eventlog.Event {
	alert := func(kind, detail string) []eventlog.Event {
		return []eventlog.Event{{Time: e.Time, Kind: kind, Door: e.Door, PD: e.PD, Identity: e.Identity, Name: e.Name,
			Card: e.Card, CardRef: e.CardRef, FaceRef: e.FaceRef, Alarm: true, Detail: detail}}
	}
	var out []eventlog.Event
	switch e.Kind {
	case "access.denied":
		if n, ok := w.count("denials/"+e.Door, e.Time, w.cfg.Denials); ok {
			out = append(out, alert(DenialBurst, fmt.Sprintf("%d denials within %v", n, w.cfg.Denials.Window))...)
		}
		if e.Identity == "" && e.CardRef != "" {
			if n, ok := w.count("unknown/"+e.CardRef, e.Time, w.cfg.UnknownRepeat); ok {
				out = append(out, alert(UnknownRepeated, fmt.Sprintf("the same unknown card %d times within %v", n, w.cfg.UnknownRepeat.Window))...)
			}
		}
		if e.Identity == "" && e.FaceRef != "" {
			if n, ok := w.count("face/"+e.FaceRef, e.Time, w.cfg.UnknownRepeat); ok {
				out = append(out, alert(UnknownRepeated, fmt.Sprintf("the same unknown face %d times within %v", n, w.cfg.UnknownRepeat.Window))...)
			}
		}
		if e.Reason == "wrong_pin" && e.Identity != "" {
			if n, ok := w.count("pin/"+e.Identity, e.Time, w.cfg.WrongPIN); ok {
				out = append(out, alert(WrongPINs, fmt.Sprintf("%d wrong PINs within %v", n, w.cfg.WrongPIN.Window))...)
			}
		}
	case "door.forced_open":
		out = alert(DoorForced, "door opened without a grant")
	case "door.held_open":
		out = alert(DoorHeld, "door held open")
	case "pd.tamper":
		out = alert(Tamper, e.Detail)
	case "pd.offline":
		out = alert(TerminalOffline, e.Detail)
	case "alarm.duress":
		out = alert(Duress, "duress PIN used")
	}
	w.prune(e.Time)
	return out
}

// prune forgets keys idle for longer than every window, so memory stays
// bounded by recent activity.
func (w *Watcher) prune(now time.Time) {
	if len(w.seen) < 4096 {
		return
	}
	longest := max(w.cfg.Denials.Window, w.cfg.UnknownRepeat.Window, w.cfg.WrongPIN.Window)
	for k, ts := range w.seen {
		if len(ts) == 0 || now.Sub(ts[len(ts)-1]) > longest {
			delete(w.seen, k)
			delete(w.alerted, k)
		}
	}
}
