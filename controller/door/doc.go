// Package door supervises one door: its lock, its contact and its
// request-to-exit (REX) button. It knows nothing about OSDP, residents or
// storage. The controller feeds it inputs (Grant, REX, Contact, LockOnline,
// SetMode, Tick), each with the current time, and carries out the actions
// they return, in order: drive the lock (Unlock for a timed pulse,
// UnlockHold, Lock) and record events (Emit). Given the same inputs at the
// same times a Door returns the same actions; it reads no clock, starts no
// goroutine and is owned by one goroutine, which calls Tick at Deadline.
//
// # Modes
//
// The door never changes mode by itself.
//
//	              SetMode(Lockdown)
//	+--------+ ---------------------> +----------+
//	| Normal |                        | Lockdown |  Lock, pulse cancelled,
//	+--------+ <--------------------- +----------+  REX does not release
//	   |  ^       SetMode(Normal)          |
//	   |  |                                | SetMode(EmergencyUnlock)
//	   |  | SetMode(Normal): Lock          v
//	   |  +---------------------- +-----------------+  UnlockHold, no alarms,
//	   +------------------------> | EmergencyUnlock |  grants do nothing;
//	    SetMode(EmergencyUnlock)  +-----------------+  Lockdown refused
//
// # The lock in Normal and Lockdown
//
//	            Grant, REX (REXUnlocks, Normal only)
//	+--------+ -----------------------------------> +----------+ Grant/REX:
//	| LOCKED |                                      | RELEASED | extend
//	+--------+ <----------------------------------- +----------+
//	   ^ ^       Tick at pulse end, door closed:          |
//	   | |       Lock, door.relocked                      | Tick at pulse end,
//	   | |                                                | door open
//	   | |  Contact closed during the release:            v
//	   | +- Lock, door.closed, door.relocked     +-----------------+
//	   +---------------------------------------- | RELOCK ON CLOSE |
//	        Contact closed: Lock, door.closed,   +-----------------+
//	        door.relocked
//
// # The contact (doors with Config.Contact)
//
//	        opened: released, or within ExcuseWindow of a grant or REX
//	        (the excuse covers one opening), or fail-safe lock offline,
//	        or the first contact report
//	+--------+ --------------------------------------> +------+ HeldOpen
//	| CLOSED |                                         | OPEN | -----------> door.held_open
//	+--------+ --------------------------------------> +------+   (once)
//	   ^        opened otherwise: door.forced_open        |
//	   |                                                  |
//	   +------------ closed: door.closed, ----------------+
//	                 door.held_open_cleared if raised
//
// Every opening in Normal and Lockdown, legitimate or forced, is supervised
// for HeldOpen: a forced door still standing open raises door.held_open too.
// door.closed ends a forced-open alarm. EmergencyUnlock ends both alarms and
// only reports door.opened and door.closed; returning to Normal with the door
// open starts a new HeldOpen period.
//
// # The lock offline
//
// While the lock's terminal is offline no lock actions are returned, since
// they cannot be delivered; events are unchanged, so door.unlocked and
// door.relocked report the commanded state. The door assumes what its
// hardware does without control: a fail-safe lock is released (door.unsecured
// is raised, and openings are not forced), a fail-secure lock stays locked.
// When the terminal is back the commanded state is asserted again: Lock,
// UnlockHold, or Unlock for what remains of a release.
//
// # Time
//
// Every input first runs the timers that fell due, so a late Tick changes
// nothing but the moment the actions come out. A time earlier than one seen
// before is taken as the latest one seen.
package door
