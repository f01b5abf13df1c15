// Package fingers is the fingerprint side of the access controller: it
// keeps the template libraries of R30x / AS608 fingerprint modules in step
// with the controller's template store, identifies the fingers placed on
// them, and enrols new ones. It knows modules, slots and templates; doors,
// policies and the event log stay with the controller, which hands a
// [Manager] a [TemplateStore] and callbacks.
//
// # Slots
//
// The store is the source of truth. A template has one slot number, the
// same on every module that holds it, so a Search hit at slot s names the
// same person whichever module reported it. A new template takes the lowest
// slot free in the store. A template is held by the modules it lists (all
// modules when it lists none) whose Model equals its own: templates of one
// vendor's modules mean nothing to another's.
//
// # One goroutine per module
//
// [Manager.Run] starts one goroutine per module, which owns its serial line
// and driver. It opens the port, handshakes, reconciles the library and
// then polls the sensor:
//
//	GenImg ── no finger ─────────────────────────── wait PollInterval
//	   │ finger
//	   ├── waiting for a lift ────────────────────── wait PollInterval
//	   │ (one touch is one read: after a read nothing is identified
//	   │  until GenImg answers "no finger" again)
//	   ├── bad image ──────────────────────────────── OnBadImage
//	   └── Img2Tz 1, Search 1 over the library ────── OnFinger(slot, score)
//	                                                  or OnUnknown
//
// Enrolment, pushes, deletions and Reconcile calls are requests into that
// goroutine: they run between two polls, one at a time, so nothing else
// talks to the module meanwhile.
//
// A module that stops answering (a reply times out, the port fails) or
// asks for its password again (it was power-cycled) is reported once
// through OnState and closed; the goroutine reopens and
// handshakes it with jittered exponential back-off, answering requests with
// ErrOffline meanwhile, and the other modules carry on in their own
// goroutines.
//
// # Reconciling
//
// Reconcile reads the module's index table, deletes the slots the store
// does not give the module, and downloads and stores the templates it
// lacks. It runs after every handshake, every ReconcileEvery, and on
// request. A removal or enrolment that could not reach a module (offline,
// or a command failed) is thus made good later without anyone asking: the
// store no longer lists a removed template, or lists a new one.
//
// Presence is not enough after a module was away: meanwhile a slot may
// have been freed and given to someone else, or the module replaced by one
// enrolled elsewhere, and a template at the right slot would then name the
// wrong person. So after a handshake, or a failed push or delete, every
// template the module keeps is marked unverified (ModuleStatus.Unverified
// counts them). They are verified one at a time between two polls, with
// no wait between polls until none is left: the slot is loaded into char
// buffer 2 and uploaded, and rewritten when its bytes differ from the
// store's. That costs an upload per template (about 0.1 s each at 57600
// baud), but the module identifies fingers throughout: a Search hitting an
// unverified slot verifies that slot first, through buffer 2 so the
// finger in buffer 1 stays, and searches again if it was rewritten. A
// stale slot thus never names anyone; a finger whose own slot is not yet
// rewritten may meanwhile be refused as unknown.
//
// # Callbacks
//
// OnFinger, OnUnknown, OnBadImage, OnState and OnPrompt are called from
// the module's goroutine, which waits for them: they should hand the event
// on and return, and must not call Enroll, Remove or Reconcile.
//
// Templates never reach a log line.
package fingers
