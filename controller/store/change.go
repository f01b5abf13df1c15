package store

import (
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"menwei/controller/fingers"
	"menwei/controller/policy"
)

// ChangeKind names what a Change did.
type ChangeKind string

// The kinds of change. Every Change sets ID: the identity (for identity,
// credential, face, template and device changes), the schedule, the
// account's name, the door or the holiday's date; and the field named here.
const (
	IdentityPut       ChangeKind = "identity.put"       // Identity: the record as stored
	IdentityDeleted   ChangeKind = "identity.deleted"   // with it went its credentials, faces, templates, consents, phones and anti-passback state
	CredentialPut     ChangeKind = "credential.put"     // Credential: as stored (new, or blacklisted or cleared)
	CredentialRemoved ChangeKind = "credential.removed" // Credential: its Kind, Key and Identity
	InsideSet         ChangeKind = "inside.set"         // Inside: where anti-passback saw the identity
	FacePut           ChangeKind = "face.put"           // Face
	FacesDeleted      ChangeKind = "faces.deleted"      // every face of the identity
	TemplatePut       ChangeKind = "template.put"       // Template: a fingerprint slot
	TemplatesDeleted  ChangeKind = "templates.deleted"  // every fingerprint template of the identity
	SchedulePut       ChangeKind = "schedule.put"       // Schedule
	HolidayPut        ChangeKind = "holiday.put"        // Value: the holiday's name
	HolidayDeleted    ChangeKind = "holiday.deleted"
	DoorModeSet       ChangeKind = "door.mode"   // Value: the door's mode
	AccountPut        ChangeKind = "account.put" // Account
	DevicePut         ChangeKind = "device.put"  // Device: a paired phone (new, or revoked)
	// EstateCursorSet (estate.go): a replication cursor, this gate's own state.
)

// Change is one mutation of the store, as it was written: every write of
// the records above goes through one place (writer.apply) inside one Badger
// transaction, and subscribers (SubscribeChanges) receive the changes of a
// transaction after it has committed, in commit order — the audit trail
// and replication consume them.
//
// What is not a Change: sessions and pairing codes (secrets with a
// lifetime, meaningful on this gate only), face crops (evidence tied to
// this gate's event log), and the event log itself (package eventlog has
// its own Subscribe).
//
// A Change carries what was written, card numbers and the hashes of PINs,
// passwords and device tokens included (replication needs them): it must
// never reach a log line whole. Its String names the kind and the id only.
// Subscribers must not modify the values it points to.
type Change struct {
	Kind       ChangeKind
	ID         string // what the change is about (see the kinds)
	Value      string // HolidayPut: the name; DoorModeSet: the mode
	Inside     bool   // InsideSet
	Identity   *Identity
	Credential *Credential
	Face       *FaceRecord
	Template   *fingers.Template
	Schedule   *Schedule
	Account    *Account
	Device     *Device
	Consent    *Consent
}

// String names the change without a secret: its kind and ID (a
// credential by its kind, never its key).
func (c Change) String() string {
	if c.Credential != nil {
		return string(c.Kind) + " " + string(c.Credential.Kind) + " of " + c.ID
	}
	return string(c.Kind) + " " + c.ID
}

// SubscribeChanges calls f with every change committed from now on, in
// commit order, each once; a transaction that fails publishes nothing. f
// runs on the writer's goroutine while the write path is held, so it must
// be quick (hand the change to a goroutine of its own if it is not) and
// must not write to the store or call cancel. After cancel returns, f is
// not called again.
func (s *Store) SubscribeChanges(f func(Change)) (cancel func()) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.subs == nil {
		s.subs = map[int]func(Change){}
	}
	s.nsub++
	n := s.nsub
	s.subs[n] = f
	return func() {
		s.wmu.Lock()
		defer s.wmu.Unlock()
		delete(s.subs, n)
	}
}

// write is the store's one write path. f reads what it needs through the
// writer's transaction and hands every mutation to w.apply; all of them
// commit in one Badger transaction or none does. Only after the commit are
// the applied changes published, so a subscriber never sees a change that
// did not happen. s.wmu serialises writes so that subscribers see changes
// in the order they committed.
func (s *Store) write(f func(w *writer) error) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	var w *writer
	err := s.db.Update(func(txn *badger.Txn) error {
		w = &writer{txn: txn}
		if err := f(w); err != nil {
			return err
		}
		if w.faces {
			_, err := newFaceToken(txn) // facetoken.go
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, c := range w.changes {
		for _, sub := range s.subs {
			sub(c)
		}
	}
	return nil
}

// writer is one transaction of the write path.
type writer struct {
	txn     *badger.Txn
	changes []Change
	faces   bool // a face was added or removed: the face token changes
}

// apply writes one change in the transaction. It is the only code that
// writes the records a Change describes; checks that depend on the stored
// state (an identity exists, a card is not another's) are made by the
// caller, in the same transaction, before it applies — except consent: a
// face or a fingerprint template is refused here, for every path, unless
// the person's consent to it is in force (consent.go).
func (w *writer) apply(c Change) error {
	txn := w.txn
	var err error
	switch c.Kind {
	case IdentityPut:
		err = setJSON(txn, keyIdentity+c.Identity.ID, c.Identity)
	case IdentityDeleted:
		w.faces = w.faces || len(faceKeys(txn, c.ID)) > 0
		err = deleteIdentity(txn, c.ID)
	case CredentialPut:
		err = setJSON(txn, credKey(c.Credential.Kind, c.Credential.Key), c.Credential)
	case CredentialRemoved:
		err = txn.Delete([]byte(credKey(c.Credential.Kind, c.Credential.Key)))
	case InsideSet:
		v := []byte("0")
		if c.Inside {
			v = []byte("1")
		}
		err = txn.Set([]byte(keyInside+c.ID), v)
	case FacePut:
		w.faces = true
		if err = consented(txn, c.Face.Identity, policy.Face); err == nil {
			err = txn.Set([]byte(keyFace+c.Face.Identity+"/"+c.Face.ID), encodeVector(c.Face.Vector))
		}
	case FacesDeleted:
		keys := faceKeys(txn, c.ID)
		w.faces = w.faces || len(keys) > 0
		err = deleteKeys(txn, keys)
	case TemplatePut:
		if err = consented(txn, c.Template.Identity, policy.Finger); err == nil {
			err = setJSON(txn, string(fingerKey(c.Template.Slot)), c.Template)
		}
	case ConsentPut:
		err = setJSON(txn, consentKey(c.Consent.Identity, c.Consent.Biometric), c.Consent)
	case ConsentRemoved:
		err = txn.Delete([]byte(consentKey(c.Consent.Identity, c.Consent.Biometric)))
	case TemplatesDeleted:
		var keys [][]byte
		keys, _, err = templateKeys(txn, c.ID)
		if err == nil {
			err = deleteKeys(txn, keys)
		}
	case SchedulePut:
		err = setJSON(txn, keySchedule+c.Schedule.ID, c.Schedule)
	case HolidayPut:
		err = setJSON(txn, keyHoliday+c.ID, c.Value)
	case HolidayDeleted:
		err = txn.Delete([]byte(keyHoliday + c.ID))
	case DoorModeSet:
		err = setJSON(txn, keyDoorMode+c.ID, c.Value)
	case AccountPut:
		err = setJSON(txn, keyAccount+c.Account.Name, c.Account)
	case DevicePut:
		err = setJSON(txn, keyDevice+c.Device.ID, c.Device)
	case EstateCursorSet:
		err = txn.Set([]byte(keyEstateCursor+c.ID), []byte(c.Value))
	default:
		err = fmt.Errorf("store: unknown change %q", c.Kind)
	}
	if err != nil {
		return err
	}
	w.changes = append(w.changes, c)
	return nil
}

func deleteKeys(txn *badger.Txn, keys [][]byte) error {
	for _, k := range keys {
		if err := txn.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
