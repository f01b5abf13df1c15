// Package store is menwei's state in Badger: identities and their
// credentials (cards, PINs, pass codes, faces, fingerprint slots, phones),
// face descriptors and crops, schedules and holidays, stored door modes,
// accounts and sessions, pairing codes and devices, with the event log of
// package eventlog in the same database.
//
// Every mutation of a record goes through one write path: it is a typed
// Change, applied in one Badger transaction, and published to the
// subscribers of SubscribeChanges after the commit — in commit order, each
// once, never a change that failed.
//
// It is the only code that knows Badger: badger.ErrKeyNotFound becomes
// ErrNotFound, wrapped with the kind (and, where it is not a secret, the
// id) of what was missing. Its users own the small interfaces they need.
package store
