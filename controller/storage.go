package controller

import (
	"context"
	"time"

	"menwei/controller/eventlog"
	"menwei/controller/fingers"
	"menwei/controller/policy"
	"menwei/controller/store"
)

// What the controller needs of the store, path by path. Package store's
// *Store has all of it; the interfaces say which path touches what.
type (
	// credentials is the access path's: who presented what, and the state
	// a grant changes (anti-passback, a visitor's pass uses).
	credentials interface {
		Lookup(kind policy.Factor, key string) (store.Credential, store.Identity, error)
		LookupPassCode(code string) (store.Credential, store.Identity, error)
		Identity(id string) (store.Identity, error)
		FingerSlot(slot int) (fingers.Template, error)
		Inside(id string) (*bool, error)
		SetInside(id string, inside bool) error
		UsePass(id string) error
		DeleteIdentity(id string) error
		PutIdentity(i store.Identity) error // an erased host's visitors name the pseudonym
	}

	// faceStore is the face path's: descriptors for the index, crops of
	// denied faces.
	faceStore interface {
		Faces(yield func(store.FaceRecord) bool) error
		PutFace(f store.FaceRecord) error
		DeleteFaces(identity string) (int, error)
		WithdrawConsent(identity string, b policy.Factor, by string, at time.Time) (store.Consent, int, error)
		Person(id string) (store.PersonRecord, error)
		DeleteCrops(seqs []uint64) error
		Templates() ([]fingers.Template, error)
		Identities(kind policy.Kind) ([]store.Identity, error) // visitors, for retention
		PutCrop(seq uint64, jpg []byte) error
		PruneCrops(maxCount int, dropThroughSeq uint64) (int, error)
	}

	// doorStore is the doors': stored modes (an emergency survives a
	// restart) and the schedules.
	doorStore interface {
		DoorMode(door string) (string, error)
		SetDoorModes(modes map[string]string) error
		CompiledSchedules(loc *time.Location) (map[string]*policy.Schedule, error)
	}

	// events is the durable log: nothing opens before its event is on disk.
	events interface {
		Append(ctx context.Context, e Event) (Event, error)
		Events(q EventQuery) ([]Event, error)
		Page(q EventQuery) (eventlog.Page, error)
		Subscribe(buf int) (<-chan Event, func())
		Prune(ctx context.Context, r eventlog.Retention, now time.Time) (uint64, error)
		// UploadCursor is how far an estate's gate has uploaded its log
		// (retention keeps what is after it).
		UploadCursor(name string) (uint64, error)
		Erase(ctx context.Context, identity, pseudonym, account string) (eventlog.EraseResult, error)
		Ping(ctx context.Context) error // the writer is not stuck (Alive)
	}
)

// Storage is everything the controller keeps: package store's *Store.
type Storage interface {
	credentials
	faceStore
	doorStore
	events
	fingers.TemplateStore
	// SubscribeChanges delivers every committed change (the face index
	// and the schedules follow it).
	SubscribeChanges(f func(store.Change)) (cancel func())
	Closed() bool
	Repaired() int // crash leftovers removed at open, for the metrics
}

var _ Storage = (*store.Store)(nil)
