// Package controller is menwei's access engine: it owns the buses of
// terminals and the doors, judges the credentials presented (which
// controller/store keeps) to decide who may pass, drives the locks, and
// records every decision in the durable, hash-chained event log.
//
// A card read flows through it like this:
//
//	osdp.Loop event (RAW) → credential → store lookup → Decision
//	  → event appended and synced (group commit) → OUT pulse to the lock
//	  → green LED and beep (or red LED and a denial event with its reason)
//
// Nothing opens before its event is on disk.
//
// This package is the orchestration only. Its rooms: controller/store (all
// of Badger: identities, credentials, faces, schedules, accounts, phones),
// controller/config (the configuration file), controller/door (a door's
// supervision), controller/policy (the access rules), controller/eventlog
// (the durable log), controller/alarms (the open alarms, from the log),
// controller/alerts (risk patterns), controller/fingers (fingerprint modules),
// controller/badgerdb (opening Badger after a crash).
package controller
