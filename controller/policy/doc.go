// Package policy decides whether a person may pass a door. It is pure: the
// controller hands it who the credentials belong to, what the door's rule
// is, what was presented and when, and the state the decision depends on
// (where the person was last, how often a visitor pass was used, the door's
// mode); it returns the decision with a machine-readable reason and the
// state changes to make if the door is opened.
//
// Rules are checked in this order; the first failure is the reason:
//
//	door mode (lockdown lets staff only) → identity disabled / blacklisted
//	→ visitor pass (window, door, uses) or group membership
//	→ schedule (weekly periods, holidays, in the controller's time zone)
//	→ required factors within the factor window (card+PIN, card+face…)
//	→ anti-passback (hard denies, soft grants with a warning)
//	→ duress PIN (grants, and raises a silent alarm)
package policy
