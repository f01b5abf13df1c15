package door_test

import (
	"fmt"
	"time"

	"menwei/controller/door"
)

// A resident is granted at the gate, walks through and closes it: the lock
// is released, then re-locked as soon as the gate closes rather than at the
// end of the pulse.
func Example() {
	now := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	d, acts, err := door.New(door.Config{Name: "gate", Contact: true}, now)
	if err != nil {
		panic(err)
	}
	fmt.Println("start:", acts)
	fmt.Println("contact closed:", d.Contact(now, false))

	fmt.Println("grant:", d.Grant(now))
	fmt.Println("next tick:", d.Deadline().Sub(now))

	now = now.Add(time.Second)
	fmt.Println("opened:", d.Contact(now, true))

	now = now.Add(2 * time.Second)
	fmt.Println("pulse end:", d.Tick(now))

	now = now.Add(3 * time.Second)
	fmt.Println("closed:", d.Contact(now, false))
	fmt.Printf("state: %+v\n", d.State())

	now = now.Add(time.Minute)
	fmt.Println("forced:", d.Contact(now, true))

	// Output:
	// start: [lock]
	// contact closed: []
	// grant: [unlock(3s) door.unlocked: grant]
	// next tick: 3s
	// opened: [door.opened]
	// pulse end: []
	// closed: [lock door.closed door.relocked]
	// state: {Mode:normal Locked:true Open:false LockOnline:true Alarms:{HeldOpen:false Forced:false Unsecured:false} Assumed:}
	// forced: [door.opened door.forced_open]
}

// The controller's loop for one door: carry out what an input returns and
// arm a timer for Deadline.
func ExampleDoor_Deadline() {
	now := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	d, _, _ := door.New(door.Config{Name: "gate", Contact: true, HeldOpen: 20 * time.Second}, now)
	d.Contact(now, false)
	d.Grant(now)
	d.Contact(now.Add(time.Second), true)
	for range 3 {
		next := d.Deadline()
		if next.IsZero() {
			fmt.Println("no timer")
			break
		}
		fmt.Println(next.Sub(now), d.Tick(next))
	}
	// Output:
	// 3s []
	// 21s [door.held_open]
	// no timer
}

func ExampleDoor_SetMode() {
	now := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	d, _, _ := door.New(door.Config{Name: "gate", FailSafe: true}, now)
	m, _ := door.ParseMode("emergency_unlock") // e.g. the persisted mode
	fmt.Println(d.SetMode(now, m))
	fmt.Println(d.SetMode(now, door.Lockdown))
	fmt.Println(d.LockOnline(now, false))
	fmt.Println(d.SetMode(now, door.Normal))
	fmt.Println(d.LockOnline(now, true))
	// Output:
	// [unlock_hold door.mode: emergency_unlock] <nil>
	// [] door: emergency unlock active: return to normal first
	// [door.lock_offline: fail-safe: lock assumed released door.unsecured]
	// [door.mode: normal] <nil>
	// [lock door.lock_online]
}
