package policy

import (
	"slices"
	"time"
)

// Kind of identity.
type Kind string

const (
	Resident Kind = "resident"
	Visitor  Kind = "visitor"
	Staff    Kind = "staff"
)

// Factor is a kind of credential.
type Factor string

const (
	Card   Factor = "card"
	PIN    Factor = "pin"
	Face   Factor = "face"
	Finger Factor = "finger"
	Phone  Factor = "phone"
	Code   Factor = "code" // a visitor's pass code typed at a keypad (or read from its QR)
)

// Reasons (machine readable; stable: they are stored in events).
const (
	Granted           = "granted"
	NeedMoreFactors   = "awaiting_factor"
	FactorTimeout     = "factor_timeout"
	FactorMismatch    = "factor_mismatch" // the second factor belongs to someone else (e.g. wrong PIN)
	NotAllowedFactor  = "factor_not_accepted"
	Disabled          = "identity_disabled"
	Blacklisted       = "blacklisted"
	NotInGroup        = "not_allowed_at_door"
	OutsideSchedule   = "outside_schedule"
	PassNotYetValid   = "pass_not_yet_valid"
	PassExpired       = "pass_expired"
	PassUsedUp        = "pass_used_up"
	PassWrongDoor     = "pass_wrong_door"
	PassRevoked       = "pass_revoked"
	NoPass            = "visitor_without_pass"
	AntiPassback      = "antipassback"
	LockdownReason    = "lockdown"
	EmergencyOpenDoor = "emergency_unlock"
)

// Identity is who the presented credentials belong to.
type Identity struct {
	ID       string
	Kind     Kind
	Groups   []string
	Disabled bool
	Pass     *Pass // visitors
	// Schedule limits a resident or visitor to its periods at every door,
	// besides the door's schedule; nil = always. Staff are not limited.
	Schedule *Schedule
}

// Pass is a visitor's permission: a time window, doors, and a number of uses.
type Pass struct {
	From, Until time.Time
	Doors       []string // empty = every door
	MaxUses     int      // 0 = unlimited
	Uses        int
	Host        string // the resident who invited the visitor
	Revoked     bool   // ended early by a guard or admin
}

// APBMode is the anti-passback mode of a door.
type APBMode string

const (
	APBOff  APBMode = ""
	APBSoft APBMode = "soft" // grant, with a warning
	APBHard APBMode = "hard" // deny
)

// Side of the door a reader is on.
type Side string

const (
	Entry Side = "entry"
	Exit  Side = "exit"
)

// Rule is a door's policy.
type Rule struct {
	Door   string
	Groups []string // groups allowed; empty = every resident and staff member
	// Schedule limits residents and visitors to its periods; nil = always.
	// Staff are not limited by it.
	Schedule *Schedule
	// Factors lists the accepted combinations; one complete combination
	// suffices. Empty = any single factor. [[card pin]] = card and PIN;
	// [[card] [face]] = card or face; [[card face] [finger]] and so on.
	Factors      [][]Factor
	FactorWindow time.Duration // 0 = 20s between the first and the last factor
	AntiPassback APBMode
}

// Presented is one credential shown at the door, already resolved to an
// identity by the controller.
type Presented struct {
	Factor   Factor
	Identity string
	At       time.Time
	Duress   bool // a duress PIN
}

// Mode is the door's operating mode as the policy sees it.
type Mode string

const (
	Normal          Mode = "normal"
	EmergencyUnlock Mode = "emergency_unlock"
	Lockdown        Mode = "lockdown"
)

// Attempt is everything a decision depends on besides the rule and identity.
type Attempt struct {
	Time        time.Time
	Side        Side
	Mode        Mode
	Presented   []Presented // this attempt's factors, oldest first, the newest last
	Blacklisted bool        // one of the presented credentials is blacklisted
	// Inside is where anti-passback last saw the identity: nil unknown,
	// true inside (last passed an entry reader), false outside.
	Inside *bool
}

// Decision is the outcome.
type Decision struct {
	Granted bool
	Reason  string
	// Missing lists the factors that would complete a combination when
	// Reason is NeedMoreFactors.
	Missing []Factor
	Duress  bool // raise a silent alarm
	// APBWarning: soft anti-passback was violated (granted anyway).
	APBWarning bool
	// Effects to store if the door is opened.
	UsePass   bool  // count one use of the visitor pass
	SetInside *bool // new anti-passback location
}

func deny(reason string) Decision { return Decision{Reason: reason} }

// Decide judges an attempt at a door.
func Decide(r Rule, id Identity, a Attempt) Decision {
	switch {
	case a.Mode == EmergencyUnlock:
		return Decision{Granted: true, Reason: EmergencyOpenDoor}
	case a.Mode == Lockdown && id.Kind != Staff:
		return deny(LockdownReason)
	case id.Disabled:
		return deny(Disabled)
	case a.Blacklisted:
		return deny(Blacklisted)
	}
	var d Decision
	if id.Kind == Visitor {
		if reason := checkPass(id.Pass, r.Door, a.Time); reason != "" {
			return deny(reason)
		}
		d.UsePass = true
	} else if len(r.Groups) > 0 && !slices.ContainsFunc(id.Groups, func(g string) bool { return slices.Contains(r.Groups, g) }) {
		return deny(NotInGroup)
	}
	if id.Kind != Staff && (!r.Schedule.Allows(a.Time) || !id.Schedule.Allows(a.Time)) {
		return deny(OutsideSchedule)
	}
	if reason, missing := checkFactors(r, id.ID, a); reason != "" {
		return Decision{Reason: reason, Missing: missing}
	}
	for _, p := range a.Presented {
		d.Duress = d.Duress || p.Duress
	}
	if r.AntiPassback != APBOff && a.Side != "" {
		wantInside := a.Side == Entry
		if a.Inside != nil && *a.Inside == wantInside {
			if r.AntiPassback == APBHard && !d.Duress {
				return deny(AntiPassback)
			}
			d.APBWarning = true
		}
		d.SetInside = &wantInside
	}
	d.Granted, d.Reason = true, Granted
	return d
}

func checkPass(p *Pass, door string, t time.Time) string {
	switch {
	case p == nil:
		return NoPass
	case p.Revoked:
		return PassRevoked
	case t.Before(p.From):
		return PassNotYetValid
	case !p.Until.IsZero() && !t.Before(p.Until):
		return PassExpired
	case len(p.Doors) > 0 && !slices.Contains(p.Doors, door):
		return PassWrongDoor
	case p.MaxUses > 0 && p.Uses >= p.MaxUses:
		return PassUsedUp
	}
	return ""
}

// checkFactors finds a complete accepted combination among the presented
// factors that are recent enough and belong to this identity.
func checkFactors(r Rule, id string, a Attempt) (string, []Factor) {
	if len(a.Presented) == 0 {
		return NeedMoreFactors, nil
	}
	window := r.FactorWindow
	if window == 0 {
		window = 20 * time.Second
	}
	newest := a.Presented[len(a.Presented)-1]
	if newest.Identity != id {
		return FactorMismatch, nil
	}
	have := map[Factor]bool{}
	stale := false
	for _, p := range a.Presented {
		switch {
		case a.Time.Sub(p.At) > window:
			stale = true
		case p.Identity != id:
			return FactorMismatch, nil
		default:
			have[p.Factor] = true
		}
	}
	combos := r.Factors
	if len(combos) == 0 {
		return "", nil // any single factor
	}
	var best []Factor
	accepted := false
	for _, c := range combos {
		var missing []Factor
		for _, f := range c {
			if !have[f] {
				missing = append(missing, f)
			}
		}
		if len(missing) == 0 {
			return "", nil
		}
		if len(missing) < len(c) { // this combination is started
			accepted = true
			if best == nil || len(missing) < len(best) {
				best = missing
			}
		}
	}
	switch {
	case !accepted:
		return NotAllowedFactor, nil
	case stale:
		return FactorTimeout, best
	}
	return NeedMoreFactors, best
}
