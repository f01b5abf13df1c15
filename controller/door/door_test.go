package door

import (
	"testing"
	"time"
)

const s = time.Second

func TestDoor(t *testing.T) {
	withContact := Config{Name: "gate", Contact: true}
	noContact := Config{Name: "gate"}
	rexUnlocks := Config{Name: "gate", Contact: true, REXUnlocks: true, REXPulse: 5 * s}
	failSafe := Config{Name: "gate", Contact: true, FailSafe: true}

	released := st(func(s *State) { s.Locked = false })
	openReleased := st(func(s *State) { s.Locked, s.Open = false, true })
	open := st(func(s *State) { s.Open = true })
	forced := st(func(s *State) { s.Open, s.Alarms.Forced = true, true })
	emergency := st(func(s *State) { s.Mode, s.Locked = EmergencyUnlock, false })
	lockedDown := st(func(s *State) { s.Mode = Lockdown })
	offSecure := st(func(s *State) { s.LockOnline, s.Assumed = false, AssumedLocked })

	unlocked := evd(EventUnlocked, DetailGrant)
	rexUnlocked := evd(EventUnlocked, DetailREX)

	tests := []struct {
		name  string
		cfg   Config
		steps []step
	}{
		{"grant never opened", withContact, []step{
			{0, closes, nil, idle},
			{0, grant, acts(unlock(3*s), unlocked), released},
			{2999 * time.Millisecond, tick, nil, released},
			{3 * s, tick, acts(lock, ev(EventRelocked)), idle},
			{3 * s, tick, nil, idle},
		}},
		{"second grant extends the release", withContact, []step{
			{0, grant, acts(unlock(3*s), unlocked), nil},
			{2 * s, grant, acts(unlock(3*s), unlocked), released},
			{3 * s, tick, nil, released},
			{5 * s, tick, acts(lock, ev(EventRelocked)), idle},
		}},
		{"grant then open then close relocks on close", withContact, []step{
			{0, closes, nil, nil},
			{0, grant, acts(unlock(3*s), unlocked), nil},
			{1 * s, opens, acts(ev(EventOpened)), openReleased},
			{2 * s, closes, acts(lock, ev(EventClosed), ev(EventRelocked)), idle},
			{3 * s, tick, nil, idle},
		}},
		{"still open at pulse end relocks when it closes", withContact, []step{
			{0, closes, nil, nil},
			{0, grant, acts(unlock(3*s), unlocked), nil},
			{1 * s, opens, acts(ev(EventOpened)), nil},
			{3 * s, tick, nil, openReleased},
			{5 * s, closes, acts(lock, ev(EventClosed), ev(EventRelocked)), idle},
		}},
		{"held open once, cleared on close", withContact, []step{
			{0, closes, nil, nil},
			{0, grant, acts(unlock(3*s), unlocked), nil},
			{1 * s, opens, acts(ev(EventOpened)), nil},
			{3 * s, tick, nil, nil},
			{31*s - 1, tick, nil, openReleased},
			{31 * s, tick, acts(ev(EventHeldOpen)), st(func(s *State) { s.Locked, s.Open, s.Alarms.HeldOpen = false, true, true })},
			{31 * s, tick, nil, nil},
			{90 * s, tick, nil, nil},
			{95 * s, closes, acts(lock, ev(EventClosed), ev(EventHeldOpenCleared), ev(EventRelocked)), idle},
		}},
		{"held open while the release still runs", Config{Contact: true, Pulse: 10 * s, HeldOpen: 5 * s}, []step{
			{0, closes, nil, nil},
			{0, grant, acts(unlock(10*s), unlocked), nil},
			{1 * s, opens, acts(ev(EventOpened)), nil},
			{6 * s, tick, acts(ev(EventHeldOpen)), nil},
			{10 * s, tick, nil, nil},
			{12 * s, closes, acts(lock, ev(EventClosed), ev(EventHeldOpenCleared), ev(EventRelocked)), idle},
		}},
		{"forced open ends on close", withContact, []step{
			{0, closes, nil, nil},
			{5 * s, opens, acts(ev(EventOpened), ev(EventForcedOpen)), forced},
			{6 * s, closes, acts(ev(EventClosed)), idle},
		}},
		{"held open after forced", withContact, []step{
			{0, closes, nil, nil},
			{0, opens, acts(ev(EventOpened), ev(EventForcedOpen)), nil},
			{30 * s, tick, acts(ev(EventHeldOpen)), st(func(s *State) { s.Open, s.Alarms.Forced, s.Alarms.HeldOpen = true, true, true })},
			{40 * s, closes, acts(ev(EventClosed), ev(EventHeldOpenCleared)), idle},
		}},
		{"opening after the relock but within the grant's excuse window", withContact, []step{
			{0, closes, nil, nil},
			{0, grant, acts(unlock(3*s), unlocked), nil},
			{3 * s, tick, acts(lock, ev(EventRelocked)), nil},
			{10*s - 1, opens, acts(ev(EventOpened)), open},
		}},
		{"opening when the grant's excuse window has passed", withContact, []step{
			{0, closes, nil, nil},
			{0, grant, acts(unlock(3*s), unlocked), nil},
			{3 * s, tick, acts(lock, ev(EventRelocked)), nil},
			{10 * s, opens, acts(ev(EventOpened), ev(EventForcedOpen)), forced},
		}},
		{"a grant excuses one opening", withContact, []step{
			{0, closes, nil, nil},
			{0, grant, acts(unlock(3*s), unlocked), nil},
			{1 * s, opens, acts(ev(EventOpened)), nil},
			{2 * s, closes, acts(lock, ev(EventClosed), ev(EventRelocked)), nil},
			{3 * s, opens, acts(ev(EventOpened), ev(EventForcedOpen)), forced},
		}},
		{"overdue timers fire before the input", withContact, []step{
			{0, closes, nil, nil},
			{0, grant, acts(unlock(3*s), unlocked), nil},
			{5 * s, opens, acts(lock, ev(EventRelocked), ev(EventOpened)), open},
		}},
		{"rex without REXUnlocks excuses the next opening", withContact, []step{
			{0, closes, nil, nil},
			{0, rex, acts(ev(EventREX)), idle},
			{5 * s, opens, acts(ev(EventOpened)), open},
			{6 * s, closes, acts(ev(EventClosed)), idle},
			{20 * s, rex, acts(ev(EventREX)), nil},
			{30 * s, opens, acts(ev(EventOpened), ev(EventForcedOpen)), forced},
		}},
		{"rex with REXUnlocks releases for REXPulse", rexUnlocks, []step{
			{0, closes, nil, nil},
			{0, rex, acts(unlock(5*s), ev(EventREX), rexUnlocked), released},
			{1 * s, opens, acts(ev(EventOpened)), nil},
			{2 * s, closes, acts(lock, ev(EventClosed), ev(EventRelocked)), idle},
			{5 * s, tick, nil, idle},
		}},
		{"rex with REXUnlocks, not opened", Config{REXUnlocks: true}, []step{
			{0, rex, acts(unlock(3*s), ev(EventREX), rexUnlocked), released},
			{3 * s, tick, acts(lock, ev(EventRelocked)), idle},
		}},
		{"rex does not shorten a longer grant", Config{Pulse: 10 * s, REXUnlocks: true, REXPulse: 2 * s}, []step{
			{0, grant, acts(unlock(10*s), unlocked), nil},
			{1 * s, rex, acts(unlock(9*s), ev(EventREX), rexUnlocked), nil},
			{3 * s, tick, nil, released},
			{10 * s, tick, acts(lock, ev(EventRelocked)), idle},
		}},
		{"emergency unlock: no alarms, grants do nothing", rexUnlocks, []step{
			{0, closes, nil, nil},
			{0, emerg, acts(hold, evd(EventMode, "emergency_unlock")), emergency},
			{1 * s, grant, nil, emergency},
			{2 * s, opens, acts(ev(EventOpened)), st(func(s *State) { s.Mode, s.Locked, s.Open = EmergencyUnlock, false, true })},
			{3 * s, rex, acts(ev(EventREX)), nil},
			{100 * s, tick, nil, nil},
			{200 * s, closes, acts(ev(EventClosed)), emergency},
			{250 * s, emerg, nil, emergency},
			{300 * s, normal, acts(lock, evd(EventMode, "normal")), idle},
			{400 * s, opens, acts(ev(EventOpened), ev(EventForcedOpen)), forced},
		}},
		{"emergency entered with the door held open clears the alarms", withContact, []step{
			{0, closes, nil, nil},
			{0, opens, acts(ev(EventOpened), ev(EventForcedOpen)), nil},
			{30 * s, tick, acts(ev(EventHeldOpen)), nil},
			{40 * s, emerg, acts(hold, evd(EventMode, "emergency_unlock"), ev(EventHeldOpenCleared)),
				st(func(s *State) { s.Mode, s.Locked, s.Open = EmergencyUnlock, false, true })},
			{100 * s, tick, nil, nil},
			{120 * s, closes, acts(ev(EventClosed)), emergency},
		}},
		{"emergency entered during a release drops it", withContact, []step{
			{0, grant, acts(unlock(3*s), unlocked), nil},
			{1 * s, emerg, acts(hold, evd(EventMode, "emergency_unlock")), emergency},
			{3 * s, tick, nil, emergency},
			{5 * s, normal, acts(lock, evd(EventMode, "normal")), idle},
		}},
		{"emergency entered with the door open during a release", withContact, []step{
			{0, closes, nil, nil},
			{0, grant, acts(unlock(3*s), unlocked), nil},
			{1 * s, opens, acts(ev(EventOpened)), nil},
			{2 * s, emerg, acts(hold, evd(EventMode, "emergency_unlock")), nil},
			{3 * s, tick, nil, nil},
			{4 * s, closes, acts(ev(EventClosed)), emergency},
		}},
		{"leaving emergency with the door open supervises it", withContact, []step{
			{0, closes, nil, nil},
			{0, emerg, acts(hold, evd(EventMode, "emergency_unlock")), nil},
			{1 * s, opens, acts(ev(EventOpened)), nil},
			{10 * s, normal, acts(lock, evd(EventMode, "normal")), open},
			{40 * s, tick, acts(ev(EventHeldOpen)), nil},
			{41 * s, closes, acts(ev(EventClosed), ev(EventHeldOpenCleared)), idle},
		}},
		{"lockdown: forced applies, grants obeyed, rex only excuses", rexUnlocks, []step{
			{0, closes, nil, nil},
			{0, lockdown, acts(lock, evd(EventMode, "lockdown")), lockedDown},
			{0, lockdown, nil, lockedDown},
			{1 * s, opens, acts(ev(EventOpened), ev(EventForcedOpen)), nil},
			{2 * s, closes, acts(ev(EventClosed)), lockedDown},
			{10 * s, grant, acts(unlock(3*s), unlocked), st(func(s *State) { s.Mode, s.Locked = Lockdown, false })},
			{13 * s, tick, acts(lock, ev(EventRelocked)), lockedDown},
			{20 * s, rex, acts(ev(EventREX)), lockedDown},
			{21 * s, opens, acts(ev(EventOpened)), nil},
			{22 * s, closes, acts(ev(EventClosed)), nil},
			{30 * s, normal, acts(evd(EventMode, "normal")), idle},
		}},
		{"lockdown during a pulse cancels it and its excuse", withContact, []step{
			{0, closes, nil, nil},
			{0, grant, acts(unlock(3*s), unlocked), nil},
			{1 * s, lockdown, acts(lock, evd(EventMode, "lockdown")), lockedDown},
			{3 * s, tick, nil, lockedDown},
			{4 * s, opens, acts(ev(EventOpened), ev(EventForcedOpen)), nil},
		}},
		{"lockdown with the door open after a grant", withContact, []step{
			{0, closes, nil, nil},
			{0, grant, acts(unlock(3*s), unlocked), nil},
			{1 * s, opens, acts(ev(EventOpened)), nil},
			{2 * s, lockdown, acts(lock, evd(EventMode, "lockdown")), st(func(s *State) { s.Mode, s.Open = Lockdown, true })},
			{31 * s, tick, acts(ev(EventHeldOpen)), nil},
			{32 * s, closes, acts(ev(EventClosed), ev(EventHeldOpenCleared)), lockedDown},
		}},
		{"offline during a pulse, online re-asserts the rest", withContact, []step{
			{0, grant, acts(unlock(3*s), unlocked), nil},
			{1 * s, offline, acts(evd(EventLockOffline, DetailFailSecureOffline)),
				st(func(s *State) { s.Locked, s.LockOnline, s.Assumed = false, false, AssumedLocked })},
			{1 * s, offline, nil, nil},
			{2 * s, online, acts(unlock(1*s), ev(EventLockOnline)), released},
			{2 * s, online, nil, nil},
			{3 * s, tick, acts(lock, ev(EventRelocked)), idle},
		}},
		{"pulse ends while offline", withContact, []step{
			{0, grant, acts(unlock(3*s), unlocked), nil},
			{1 * s, offline, acts(evd(EventLockOffline, DetailFailSecureOffline)), nil},
			{3 * s, tick, acts(ev(EventRelocked)), offSecure},
			{4 * s, online, acts(lock, ev(EventLockOnline)), idle},
		}},
		{"grant while offline: not opened, not kept for later", withContact, []step{
			{0, offline, acts(evd(EventLockOffline, DetailFailSecureOffline)), offSecure},
			{1 * s, grant, acts(evd(EventLockFailed, DetailLockOffline)), offSecure},
			{2 * s, online, acts(lock, ev(EventLockOnline)), idle},
			{2 * s, opens, acts(ev(EventOpened)), nil}, // the grant still excuses an opening
		}},
		{"open door still waiting to relock when the lock comes back", withContact, []step{
			{0, closes, nil, nil},
			{0, grant, acts(unlock(3*s), unlocked), nil},
			{1 * s, opens, acts(ev(EventOpened)), nil},
			{2 * s, offline, acts(evd(EventLockOffline, DetailFailSecureOffline)), nil},
			{3 * s, tick, nil, nil},
			{4 * s, online, acts(lock, ev(EventLockOnline)), openReleased},
			{5 * s, closes, acts(lock, ev(EventClosed), ev(EventRelocked)), idle},
		}},
		{"fail-secure offline: opening is forced", withContact, []step{
			{0, closes, nil, nil},
			{0, offline, acts(evd(EventLockOffline, DetailFailSecureOffline)), offSecure},
			{1 * s, opens, acts(ev(EventOpened), ev(EventForcedOpen)),
				st(func(s *State) { s.Open, s.Alarms.Forced, s.LockOnline, s.Assumed = true, true, false, AssumedLocked })},
		}},
		{"fail-safe offline: unsecured, opening is not forced", failSafe, []step{
			{0, closes, nil, nil},
			{0, offline, acts(evd(EventLockOffline, DetailFailSafeOffline), ev(EventUnsecured)),
				st(func(s *State) { s.LockOnline, s.Assumed, s.Alarms.Unsecured = false, AssumedUnlocked, true })},
			{1 * s, opens, acts(ev(EventOpened)), nil},
			{2 * s, closes, acts(ev(EventClosed)), nil},
			{3 * s, online, acts(lock, ev(EventLockOnline)), idle},
		}},
		{"fail-safe without contact is still unsecured", Config{FailSafe: true}, []step{
			{0, offline, acts(evd(EventLockOffline, DetailFailSafeOffline), ev(EventUnsecured)), nil},
			{1 * s, online, acts(lock, ev(EventLockOnline)), idle},
		}},
		{"emergency while offline is asserted when online", failSafe, []step{
			{0, offline, acts(evd(EventLockOffline, DetailFailSafeOffline), ev(EventUnsecured)), nil},
			{1 * s, emerg, acts(evd(EventMode, "emergency_unlock")), nil},
			{2 * s, online, acts(hold, ev(EventLockOnline)), emergency},
			{3 * s, normal, acts(lock, evd(EventMode, "normal")), idle},
		}},
		{"lockdown while offline is asserted when online", withContact, []step{
			{0, offline, acts(evd(EventLockOffline, DetailFailSecureOffline)), nil},
			{1 * s, lockdown, acts(evd(EventMode, "lockdown")), nil},
			{2 * s, online, acts(lock, ev(EventLockOnline)), lockedDown},
		}},
		{"no contact: contact ignored, no alarms", noContact, []step{
			{0, opens, nil, idle},
			{100 * s, tick, nil, idle},
			{200 * s, grant, acts(unlock(3*s), unlocked), nil},
			{201 * s, opens, nil, released},
			{203 * s, tick, acts(lock, ev(EventRelocked)), idle},
			{204 * s, closes, nil, idle},
			{210 * s, lockdown, acts(lock, evd(EventMode, "lockdown")), nil},
			{211 * s, opens, nil, lockedDown},
		}},
		{"first contact report open is supervised, not forced", withContact, []step{
			{0, opens, acts(ev(EventOpened)), open},
			{0, opens, nil, open},
			{30 * s, tick, acts(ev(EventHeldOpen)), nil},
			{31 * s, closes, acts(ev(EventClosed), ev(EventHeldOpenCleared)), idle},
			{31 * s, closes, nil, idle},
		}},
		{"first contact report closed says nothing", withContact, []step{
			{0, closes, nil, idle},
			{1 * s, opens, acts(ev(EventOpened), ev(EventForcedOpen)), forced},
		}},
		{"setting the current mode does nothing", withContact, []step{
			{0, normal, nil, idle},
		}},
		{"time never goes back", withContact, []step{
			{10 * s, grant, acts(unlock(3*s), unlocked), nil},
			{5 * s, tick, nil, released},
			{12 * s, tick, nil, released},
			{13 * s, tick, acts(lock, ev(EventRelocked)), idle},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { run(t, tt.cfg, tt.steps) })
	}
}
