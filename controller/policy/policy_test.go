package policy

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return l
}()

// at is a time in Shanghai: 2026-11-30 is a Monday.
func at(day int, hhmm string) time.Time {
	c, err := ParseClock(hhmm)
	if err != nil {
		panic(err)
	}
	return time.Date(2026, 11, day, int(c)/60, int(c)%60, 0, 0, shanghai)
}

func clock(s string) Clock {
	c, err := ParseClock(s)
	if err != nil {
		panic(err)
	}
	return c
}

var weekdays = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}

func TestSchedule(t *testing.T) {
	office := &Schedule{Location: shanghai, Periods: []Period{{Days: weekdays, Start: clock("08:00"), End: clock("18:00")}}}
	night := &Schedule{Location: shanghai, Periods: []Period{{Days: []time.Weekday{time.Friday}, Start: clock("22:00"), End: clock("06:00")}}}
	holiday := &Schedule{Location: shanghai,
		Periods:        []Period{{Days: weekdays, Start: clock("07:00"), End: clock("22:00")}},
		Holidays:       map[string]bool{"2026-12-02": true},
		HolidayPeriods: []Period{{Start: clock("10:00"), End: clock("12:00")}}}
	allDay := &Schedule{Location: shanghai, Periods: []Period{{Days: []time.Weekday{time.Sunday}, Start: 0, End: 0}}}

	tests := []struct {
		name string
		s    *Schedule
		t    time.Time
		want bool
	}{
		{"nil schedule is always", nil, at(29, "03:00"), true},
		{"weekday inside", office, at(30, "08:00"), true},
		{"weekday end is exclusive", office, at(30, "18:00"), false},
		{"before start", office, at(30, "07:59"), false},
		{"sunday closed", office, at(29, "12:00"), false},
		{"UTC instant converted to Shanghai", office, time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC), true}, // 09:00 in Shanghai
		{"friday night before midnight", night, time.Date(2026, 12, 4, 23, 30, 0, 0, shanghai), true},
		{"friday night crosses into saturday", night, time.Date(2026, 12, 5, 5, 59, 0, 0, shanghai), true},
		{"saturday after the window", night, time.Date(2026, 12, 5, 6, 0, 0, 0, shanghai), false},
		{"thursday night is not friday's", night, time.Date(2026, 12, 3, 23, 0, 0, 0, shanghai), false},
		{"friday early morning is thursday's overnight: none", night, time.Date(2026, 12, 4, 2, 0, 0, 0, shanghai), false},
		{"holiday replaces the weekly periods", holiday, at(2, "08:00").AddDate(0, 1, 0), false},
		{"holiday periods apply", holiday, time.Date(2026, 12, 2, 11, 0, 0, 0, shanghai), true},
		{"day after the holiday is normal", holiday, time.Date(2026, 12, 3, 8, 0, 0, 0, shanghai), true},
		{"00:00-00:00 is the whole day", allDay, at(29, "23:59"), true},
		{"whole day does not spill", allDay, at(30, "00:30"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.s.Allows(tt.t))
		})
	}
}

func TestParseClock(t *testing.T) {
	for _, bad := range []string{"", "8", "8:0", "25:00", "24:01", "12:60", "-1:00", "ab:cd"} {
		_, err := ParseClock(bad)
		assert.Error(t, err, bad)
	}
	c, err := ParseClock("24:00")
	require.NoError(t, err)
	assert.Equal(t, Clock(1440), c)
	assert.Equal(t, "07:05", Clock(425).String())
}

func yes() *bool { b := true; return &b }
func no() *bool  { b := false; return &b }

func TestDecide(t *testing.T) {
	now := at(30, "09:00")
	office := &Schedule{Location: shanghai, Periods: []Period{{Days: weekdays, Start: clock("08:00"), End: clock("18:00")}}}
	li := Identity{ID: "li", Kind: Resident, Groups: []string{"building-3"}}
	guard := Identity{ID: "zhao", Kind: Staff, Groups: []string{"guards"}}
	visitor := func(p Pass) Identity { return Identity{ID: "v1", Kind: Visitor, Pass: &p} }
	card := func(id string, ago time.Duration) Presented {
		return Presented{Factor: Card, Identity: id, At: now.Add(-ago)}
	}
	pin := func(id string, ago time.Duration) Presented {
		return Presented{Factor: PIN, Identity: id, At: now.Add(-ago)}
	}
	face := func(id string, ago time.Duration) Presented {
		return Presented{Factor: Face, Identity: id, At: now.Add(-ago)}
	}
	duress := Presented{Factor: PIN, Identity: "li", At: now, Duress: true}
	one := []Presented{card("li", 0)}

	cardPIN := Rule{Door: "d", Factors: [][]Factor{{Card, PIN}}}
	cardOrFace := Rule{Door: "d", Factors: [][]Factor{{Card}, {Face}}}
	cardFaceOrFinger := Rule{Door: "d", Factors: [][]Factor{{Card, Face}, {Finger}}}
	hard := Rule{Door: "d", AntiPassback: APBHard}
	soft := Rule{Door: "d", AntiPassback: APBSoft}

	tests := []struct {
		name    string
		rule    Rule
		id      Identity
		a       Attempt
		granted bool
		reason  string
		check   func(t *testing.T, d Decision)
	}{
		{name: "plain grant", rule: Rule{Door: "d"}, id: li, a: Attempt{Presented: one}, granted: true, reason: Granted},
		{name: "group allowed", rule: Rule{Door: "d", Groups: []string{"building-3"}}, id: li, a: Attempt{Presented: one}, granted: true, reason: Granted},
		{name: "group not allowed", rule: Rule{Door: "d", Groups: []string{"building-5"}}, id: li, a: Attempt{Presented: one}, reason: NotInGroup},
		{name: "disabled", rule: Rule{Door: "d"}, id: Identity{ID: "li", Kind: Resident, Disabled: true}, a: Attempt{Presented: one}, reason: Disabled},
		{name: "blacklisted card", rule: Rule{Door: "d"}, id: li, a: Attempt{Presented: one, Blacklisted: true}, reason: Blacklisted},
		{name: "inside schedule", rule: Rule{Door: "d", Schedule: office}, id: li, a: Attempt{Time: now, Presented: one}, granted: true, reason: Granted},
		{name: "outside schedule", rule: Rule{Door: "d", Schedule: office}, id: li, a: Attempt{Time: at(29, "09:00"), Presented: []Presented{{Factor: Card, Identity: "li", At: at(29, "09:00")}}}, reason: OutsideSchedule},
		{name: "staff ignore the schedule", rule: Rule{Door: "d", Schedule: office}, id: guard, a: Attempt{Time: at(29, "03:00"), Presented: []Presented{{Factor: Card, Identity: "zhao", At: at(29, "03:00")}}}, granted: true, reason: Granted},
		{name: "outside the person's schedule", rule: Rule{Door: "d"}, id: Identity{ID: "li", Kind: Resident, Schedule: office}, a: Attempt{Time: at(29, "09:00"), Presented: []Presented{{Factor: Card, Identity: "li", At: at(29, "09:00")}}}, reason: OutsideSchedule},
		{name: "inside the person's schedule", rule: Rule{Door: "d"}, id: Identity{ID: "li", Kind: Resident, Schedule: office}, a: Attempt{Time: now, Presented: one}, granted: true, reason: Granted},
		{name: "staff ignore their own schedule too", rule: Rule{Door: "d"}, id: Identity{ID: "zhao", Kind: Staff, Schedule: office}, a: Attempt{Time: at(29, "03:00"), Presented: []Presented{{Factor: Card, Identity: "zhao", At: at(29, "03:00")}}}, granted: true, reason: Granted},

		{name: "lockdown refuses residents", rule: Rule{Door: "d"}, id: li, a: Attempt{Time: now, Mode: Lockdown, Presented: one}, reason: LockdownReason},
		{name: "lockdown lets staff", rule: Rule{Door: "d"}, id: guard, a: Attempt{Time: now, Mode: Lockdown, Presented: []Presented{card("zhao", 0)}}, granted: true, reason: Granted},
		{name: "emergency unlock", rule: Rule{Door: "d"}, id: Identity{ID: "x", Disabled: true}, a: Attempt{Time: now, Mode: EmergencyUnlock}, granted: true, reason: EmergencyOpenDoor},

		{name: "card+pin: card alone waits for the pin", rule: cardPIN, id: li, a: Attempt{Time: now, Presented: one}, reason: NeedMoreFactors,
			check: func(t *testing.T, d Decision) { assert.Equal(t, []Factor{PIN}, d.Missing) }},
		{name: "card+pin within the window", rule: cardPIN, id: li, a: Attempt{Time: now, Presented: []Presented{card("li", 10*time.Second), pin("li", 0)}}, granted: true, reason: Granted},
		{name: "card+pin too slow", rule: cardPIN, id: li, a: Attempt{Time: now, Presented: []Presented{card("li", 21*time.Second), pin("li", 0)}}, reason: FactorTimeout},
		{name: "card+pin custom window", rule: Rule{Door: "d", Factors: [][]Factor{{Card, PIN}}, FactorWindow: time.Minute}, id: li, a: Attempt{Time: now, Presented: []Presented{card("li", 50*time.Second), pin("li", 0)}}, granted: true, reason: Granted},
		{name: "card+pin: someone else's pin", rule: cardPIN, id: li, a: Attempt{Time: now, Presented: []Presented{card("wang", 5*time.Second), pin("li", 0)}}, reason: FactorMismatch},
		{name: "card or face: face", rule: cardOrFace, id: li, a: Attempt{Time: now, Presented: []Presented{face("li", 0)}}, granted: true, reason: Granted},
		{name: "card or face: pin not accepted", rule: cardOrFace, id: li, a: Attempt{Time: now, Presented: []Presented{pin("li", 0)}}, reason: NotAllowedFactor},
		{name: "card+face or finger: card waits for face", rule: cardFaceOrFinger, id: li, a: Attempt{Time: now, Presented: one}, reason: NeedMoreFactors,
			check: func(t *testing.T, d Decision) { assert.Equal(t, []Factor{Face}, d.Missing) }},
		{name: "card+face or finger: finger alone", rule: cardFaceOrFinger, id: li, a: Attempt{Time: now, Presented: []Presented{{Factor: Finger, Identity: "li", At: now}}}, granted: true, reason: Granted},

		{name: "duress pin grants with a silent alarm", rule: cardPIN, id: li, a: Attempt{Time: now, Presented: []Presented{card("li", time.Second), duress}}, granted: true, reason: Granted,
			check: func(t *testing.T, d Decision) { assert.True(t, d.Duress) }},
		{name: "duress overrides hard anti-passback", rule: Rule{Door: "d", AntiPassback: APBHard, Factors: [][]Factor{{Card, PIN}}}, id: li,
			a: Attempt{Time: now, Side: Entry, Inside: yes(), Presented: []Presented{card("li", time.Second), duress}}, granted: true, reason: Granted,
			check: func(t *testing.T, d Decision) { assert.True(t, d.Duress); assert.True(t, d.APBWarning) }},

		{name: "apb first entry", rule: hard, id: li, a: Attempt{Time: now, Side: Entry, Presented: one}, granted: true, reason: Granted,
			check: func(t *testing.T, d Decision) { require.NotNil(t, d.SetInside); assert.True(t, *d.SetInside) }},
		{name: "apb hard: entry twice", rule: hard, id: li, a: Attempt{Time: now, Side: Entry, Inside: yes(), Presented: one}, reason: AntiPassback},
		{name: "apb hard: exit after entry", rule: hard, id: li, a: Attempt{Time: now, Side: Exit, Inside: yes(), Presented: one}, granted: true, reason: Granted,
			check: func(t *testing.T, d Decision) { assert.False(t, *d.SetInside) }},
		{name: "apb hard: exit twice", rule: hard, id: li, a: Attempt{Time: now, Side: Exit, Inside: no(), Presented: one}, reason: AntiPassback},
		{name: "apb soft: entry twice warns", rule: soft, id: li, a: Attempt{Time: now, Side: Entry, Inside: yes(), Presented: one}, granted: true, reason: Granted,
			check: func(t *testing.T, d Decision) { assert.True(t, d.APBWarning) }},
		{name: "apb off ignores location", rule: Rule{Door: "d"}, id: li, a: Attempt{Time: now, Side: Entry, Inside: yes(), Presented: one}, granted: true, reason: Granted,
			check: func(t *testing.T, d Decision) { assert.Nil(t, d.SetInside) }},

		{name: "visitor within window", rule: Rule{Door: "d", Groups: []string{"building-3"}}, id: visitor(Pass{From: now.Add(-time.Hour), Until: now.Add(time.Hour), MaxUses: 2, Uses: 1}),
			a: Attempt{Time: now, Presented: []Presented{face("v1", 0)}}, granted: true, reason: Granted, check: func(t *testing.T, d Decision) { assert.True(t, d.UsePass) }},
		{name: "visitor too early", rule: Rule{Door: "d"}, id: visitor(Pass{From: now.Add(time.Minute), Until: now.Add(time.Hour)}), a: Attempt{Time: now, Presented: []Presented{face("v1", 0)}}, reason: PassNotYetValid},
		{name: "visitor expired (until is exclusive)", rule: Rule{Door: "d"}, id: visitor(Pass{From: now.Add(-time.Hour), Until: now}), a: Attempt{Time: now, Presented: []Presented{face("v1", 0)}}, reason: PassExpired},
		{name: "visitor used up", rule: Rule{Door: "d"}, id: visitor(Pass{From: now.Add(-time.Hour), Until: now.Add(time.Hour), MaxUses: 2, Uses: 2}), a: Attempt{Time: now, Presented: []Presented{face("v1", 0)}}, reason: PassUsedUp},
		{name: "visitor wrong door", rule: Rule{Door: "d"}, id: visitor(Pass{From: now.Add(-time.Hour), Until: now.Add(time.Hour), Doors: []string{"north"}}), a: Attempt{Time: now, Presented: []Presented{face("v1", 0)}}, reason: PassWrongDoor},
		{name: "visitor revoked within the window", rule: Rule{Door: "d"}, id: visitor(Pass{From: now.Add(-time.Hour), Until: now.Add(time.Hour), Revoked: true}), a: Attempt{Time: now, Presented: []Presented{face("v1", 0)}}, reason: PassRevoked},
		{name: "visitor without pass", rule: Rule{Door: "d"}, id: Identity{ID: "v2", Kind: Visitor}, a: Attempt{Time: now, Presented: one}, reason: NoPass},
		{name: "visitor outside the door schedule", rule: Rule{Door: "d", Schedule: office}, id: visitor(Pass{From: at(29, "00:00"), Until: at(30, "23:00")}), a: Attempt{Time: at(29, "20:00"), Presented: []Presented{{Factor: Face, Identity: "v1", At: at(29, "20:00")}}}, reason: OutsideSchedule},
		{name: "lockdown refuses visitors", rule: Rule{Door: "d"}, id: visitor(Pass{From: now.Add(-time.Hour), Until: now.Add(time.Hour)}), a: Attempt{Time: now, Mode: Lockdown, Presented: []Presented{face("v1", 0)}}, reason: LockdownReason},
		{name: "nothing presented", rule: Rule{Door: "d"}, id: li, a: Attempt{Time: now}, reason: NeedMoreFactors},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Decide(tt.rule, tt.id, tt.a)
			assert.Equal(t, tt.granted, d.Granted)
			assert.Equal(t, tt.reason, d.Reason)
			if tt.check != nil {
				tt.check(t, d)
			}
		})
	}
}

// An anti-passback sequence: in, in again (refused), out, out again
// (refused), in.
func TestAntiPassbackSequence(t *testing.T) {
	now := at(30, "09:00")
	li := Identity{ID: "li", Kind: Resident}
	var inside *bool
	steps := []struct {
		side Side
		want bool
	}{{Entry, true}, {Entry, false}, {Exit, true}, {Exit, false}, {Entry, true}}
	for i, s := range steps {
		d := Decide(Rule{Door: "d", AntiPassback: APBHard}, li, Attempt{Time: now, Side: s.side, Inside: inside, Presented: []Presented{{Factor: Card, Identity: "li", At: now}}})
		assert.Equal(t, s.want, d.Granted, "step %d (%s)", i, s.side)
		if d.Granted {
			inside = d.SetInside
		}
	}
}

func BenchmarkDecide(b *testing.B) {
	now := at(30, "09:00")
	office := &Schedule{Location: shanghai, Periods: []Period{{Days: weekdays, Start: clock("08:00"), End: clock("18:00")}}}
	r := Rule{Door: "d", Groups: []string{"g7", "building-3"}, Schedule: office, Factors: [][]Factor{{Card, PIN}, {Face}}, AntiPassback: APBSoft}
	id := Identity{ID: "li", Kind: Resident, Groups: []string{"building-3"}}
	a := Attempt{Time: now, Side: Entry, Inside: no(), Presented: []Presented{{Factor: Card, Identity: "li", At: now.Add(-time.Second)}, {Factor: PIN, Identity: "li", At: now}}}
	for b.Loop() {
		if !Decide(r, id, a).Granted {
			b.Fatal("denied")
		}
	}
}
