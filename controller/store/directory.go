package store

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/dgraph-io/badger/v4"

	"menwei/controller/fingers"
	"menwei/controller/policy"
)

// The directory of an estate (docs/estate.md, Directory down) is managed at
// the office and replayed at each gate: people with everything that makes
// them open a door, schedules and holidays. The office reads a person's
// whole record (DirectoryPerson) whenever a change about them commits; a
// gate replaces its copy of that person whole (ApplyDirectory), in one
// transaction with the revision it reached, through the write path, so its
// face index and every other subscriber follow as they follow a local edit.

// CursorDirectory names the gate's directory revision: the stream
// sequence of the office's directory applied up to (a replication cursor,
// read with UploadCursor).
const CursorDirectory = "directory"

// ConsentRemoved drops a consent record the office does not have (ID: the
// identity; Consent: its Identity and Biometric). Only the directory's
// apply uses it: locally a consent is withdrawn, never removed.
const ConsentRemoved ChangeKind = "consent.removed"

// DirectoryPerson is one person's whole directory record: the identity and
// its credentials, consents, faces and fingerprint templates, each list in
// key order (so the same record encodes to the same bytes).
type DirectoryPerson struct {
	Identity    Identity
	Credentials []Credential
	Consents    []Consent
	Faces       []FaceRecord
	Templates   []fingers.Template
}

// DirectoryEntry is one message of the directory: a person, a schedule or
// a holiday, or its deletion.
type DirectoryEntry struct {
	// Person is the person's record; nil with PersonID set deletes them.
	Person   *DirectoryPerson
	PersonID string
	// Schedule is a schedule (schedules are never deleted).
	Schedule *Schedule
	// Holiday is a date; HolidayName its name, or HolidayGone to delete it.
	Holiday     string
	HolidayName string
	HolidayGone bool
}

// DirectoryPerson reads a person's whole record; ErrNotFound when the
// identity is not there (deleted or erased).
func (s *Store) DirectoryPerson(id string) (DirectoryPerson, error) {
	var p DirectoryPerson
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		p, err = readPerson(txn, id)
		return err
	})
	return p, err
}

// readPerson reads a person's record in txn.
func readPerson(txn *badger.Txn, id string) (DirectoryPerson, error) {
	var p DirectoryPerson
	if err := getJSON(txn, keyIdentity+id, &p.Identity); err != nil {
		return p, err
	}
	// Credentials are keyed by kind and key, not by person: the whole
	// space is read (as deleteIdentity does).
	if err := iterJSON(txn, keyCredential, func(c *Credential) {
		if c.Identity == id {
			p.Credentials = append(p.Credentials, *c)
		}
	}); err != nil {
		return p, err
	}
	if err := iterJSON(txn, keyConsent+id+"/", func(c *Consent) { p.Consents = append(p.Consents, *c) }); err != nil {
		return p, err
	}
	var err error
	if p.Faces, err = personFaces(txn, id); err != nil {
		return p, err
	}
	err = iterJSON(txn, keyFinger, func(t *fingers.Template) {
		if t.Identity == id {
			p.Templates = append(p.Templates, *t)
		}
	})
	return p, err
}

// personFaces reads the faces of one identity, in key order.
func personFaces(txn *badger.Txn, id string) ([]FaceRecord, error) {
	prefix := keyFace + id + "/"
	it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefix), PrefetchValues: true})
	defer it.Close()
	var out []FaceRecord
	for it.Rewind(); it.Valid(); it.Next() {
		f := FaceRecord{Identity: id, ID: string(it.Item().Key()[len(prefix):])}
		err := it.Item().Value(func(b []byte) error {
			var err error
			f.Vector, err = decodeVector(b)
			return err
		})
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// DirectoryRevision is the revision of the office's directory this gate
// has applied (0: none yet).
func (s *Store) DirectoryRevision() (uint64, error) { return s.UploadCursor(CursorDirectory) }

// ApplyDirectory applies entries, in order, and sets the directory
// revision to rev, all in one transaction: after a crash the store holds
// both or neither. Applying the same entries again changes nothing that
// matters (each is a whole replacement), so a batch read twice is safe.
func (s *Store) ApplyDirectory(rev uint64, entries []DirectoryEntry) error {
	err := s.write(func(w *writer) error {
		o := &owners{}
		for i, e := range entries {
			if err := applyEntry(w, o, e); err != nil {
				return fmt.Errorf("entry %d of %d: %w", i+1, len(entries), err)
			}
		}
		return w.apply(Change{Kind: EstateCursorSet, ID: CursorDirectory, Value: strconv.FormatUint(rev, 10)})
	})
	if err != nil {
		return fmt.Errorf("store: apply the directory up to %d: %w", rev, err)
	}
	return nil
}

func applyEntry(w *writer, o *owners, e DirectoryEntry) error {
	switch {
	case e.Person != nil:
		return replacePerson(w, o, *e.Person)
	case e.PersonID != "":
		if _, err := w.txn.Get([]byte(keyIdentity + e.PersonID)); errors.Is(err, badger.ErrKeyNotFound) {
			return nil // already gone
		}
		o.set(e.PersonID, nil, nil)
		return w.apply(Change{Kind: IdentityDeleted, ID: e.PersonID})
	case e.Schedule != nil:
		return w.apply(Change{Kind: SchedulePut, ID: e.Schedule.ID, Schedule: e.Schedule})
	case e.Holiday != "" && e.HolidayGone:
		return w.apply(Change{Kind: HolidayDeleted, ID: e.Holiday})
	case e.Holiday != "":
		return w.apply(Change{Kind: HolidayPut, ID: e.Holiday, Value: e.HolidayName})
	}
	return fmt.Errorf("%w: an empty directory entry", ErrBadRequest)
}

// replacePerson makes the stored person p exactly: the identity, then its
// credentials, then consents before the faces and templates they allow.
// Credentials, faces and templates that are already as p has them are not
// written again (so the face index is not churned by a record sent again).
func replacePerson(w *writer, o *owners, p DirectoryPerson) error {
	id := p.Identity.ID
	if err := p.Identity.validate(); err != nil {
		return err
	}
	var old DirectoryPerson
	err := getJSON(w.txn, keyIdentity+id, &old.Identity)
	switch {
	case errors.Is(err, ErrNotFound):
		// A new person (a fresh gate's whole slice): nothing of theirs can
		// be stored, it all goes with the identity.
	case err != nil:
		return err
	default:
		if err := o.load(w.txn); err != nil {
			return err
		}
		old.Credentials, old.Templates = o.creds[id], o.tmpls[id]
		if err := iterJSON(w.txn, keyConsent+id+"/", func(c *Consent) { old.Consents = append(old.Consents, *c) }); err != nil {
			return err
		}
		if old.Faces, err = personFaces(w.txn, id); err != nil {
			return err
		}
	}
	i := p.Identity
	// A visitor's uses are counted at each gate too: the higher count wins.
	if i.Pass != nil && old.Identity.Pass != nil {
		i.Pass.Uses = max(i.Pass.Uses, old.Identity.Pass.Uses)
	}
	if err := w.apply(Change{Kind: IdentityPut, ID: id, Identity: &i}); err != nil {
		return err
	}
	if err := replaceCredentials(w, id, old.Credentials, p.Credentials); err != nil {
		return err
	}
	if err := replaceConsents(w, id, old.Consents, p.Consents); err != nil {
		return err
	}
	// The record's own consents decide (the write path checks them too):
	// a biometric without one is not written, and never fails the batch.
	p.Faces = slices.DeleteFunc(slices.Clone(p.Faces), func(FaceRecord) bool { return !inForce(p.Consents, policy.Face) })
	for n := range p.Faces {
		p.Faces[n].Identity = id
	}
	p.Templates = slices.DeleteFunc(slices.Clone(p.Templates), func(fingers.Template) bool { return !inForce(p.Consents, policy.Finger) })
	if !slices.Equal(old.Faces, p.Faces) {
		if len(old.Faces) > 0 {
			if err := w.apply(Change{Kind: FacesDeleted, ID: id}); err != nil {
				return err
			}
		}
		for _, f := range p.Faces {
			if err := w.apply(Change{Kind: FacePut, ID: id, Face: &f}); err != nil {
				return err
			}
		}
	}
	if !slices.EqualFunc(old.Templates, p.Templates, sameTemplate) {
		if len(old.Templates) > 0 {
			if err := w.apply(Change{Kind: TemplatesDeleted, ID: id}); err != nil {
				return err
			}
		}
		for _, t := range p.Templates {
			t.Identity = id
			if err := w.apply(Change{Kind: TemplatePut, ID: id, Template: &t}); err != nil {
				return err
			}
		}
	}
	o.set(id, p.Credentials, p.Templates)
	return nil
}

// owners is what one batch of the directory knows of whose credentials
// and templates the store holds: they are keyed by kind and key (by slot),
// not by person, so they are read in one scan per batch rather than one
// per person — and only once a person of the batch is already stored (a
// fresh gate's batches never scan) — and kept up to date as the batch
// applies. The scan reads the transaction's own writes, so what the batch
// applied before it is seen.
type owners struct {
	loaded    bool
	creds     map[string][]Credential // identity → its credentials
	credOwner map[string]string       // credential key → identity
	tmpls     map[string][]fingers.Template
	slotOwner map[int]string
}

// load scans the credentials and templates, once.
func (o *owners) load(txn *badger.Txn) error {
	if o.loaded {
		return nil
	}
	o.creds, o.credOwner = map[string][]Credential{}, map[string]string{}
	o.tmpls, o.slotOwner = map[string][]fingers.Template{}, map[int]string{}
	if err := iterJSON(txn, keyCredential, func(c *Credential) {
		o.creds[c.Identity] = append(o.creds[c.Identity], *c)
		o.credOwner[credKey(c.Kind, c.Key)] = c.Identity
	}); err != nil {
		return err
	}
	if err := iterJSON(txn, keyFinger, func(t *fingers.Template) {
		o.tmpls[t.Identity] = append(o.tmpls[t.Identity], *t)
		o.slotOwner[t.Slot] = t.Identity
	}); err != nil {
		return err
	}
	o.loaded = true
	return nil
}

// set records that id now holds exactly creds and tmpls (nil: none, or id
// deleted); a key or a slot taken from another person leaves their list.
func (o *owners) set(id string, creds []Credential, tmpls []fingers.Template) {
	if !o.loaded {
		return // a later load reads what the batch wrote
	}
	for _, c := range o.creds[id] {
		delete(o.credOwner, credKey(c.Kind, c.Key))
	}
	for _, t := range o.tmpls[id] {
		delete(o.slotOwner, t.Slot)
	}
	for _, c := range creds {
		k := credKey(c.Kind, c.Key)
		if other, ok := o.credOwner[k]; ok && other != id {
			o.creds[other] = slices.DeleteFunc(o.creds[other], func(x Credential) bool { return credKey(x.Kind, x.Key) == k })
		}
		o.credOwner[k] = id
	}
	for _, t := range tmpls {
		if other, ok := o.slotOwner[t.Slot]; ok && other != id {
			o.tmpls[other] = slices.DeleteFunc(o.tmpls[other], func(x fingers.Template) bool { return x.Slot == t.Slot })
		}
		o.slotOwner[t.Slot] = id
	}
	o.creds[id], o.tmpls[id] = withIdentity(creds, id), tmpls
}

func withIdentity(cs []Credential, id string) []Credential {
	out := slices.Clone(cs)
	for i := range out {
		out[i].Identity = id
	}
	return out
}

// replaceCredentials removes the person's credentials that are not in
// want and writes those that differ. A key another person holds here is
// taken over: the office's latest record wins (the other person's own
// record, later in the stream, no longer lists it).
func replaceCredentials(w *writer, id string, have, want []Credential) error {
	for _, c := range have {
		if !slices.ContainsFunc(want, func(n Credential) bool { return n.Kind == c.Kind && n.Key == c.Key }) {
			if err := w.apply(Change{Kind: CredentialRemoved, ID: id, Credential: &Credential{Kind: c.Kind, Key: c.Key, Identity: id}}); err != nil {
				return err
			}
		}
	}
	for _, c := range want {
		c.Identity = id
		if slices.ContainsFunc(have, func(o Credential) bool { return sameCredential(o, c) }) {
			continue
		}
		if err := w.apply(Change{Kind: CredentialPut, ID: id, Credential: &c}); err != nil {
			return err
		}
	}
	return nil
}

// replaceConsents removes the consents the office does not have and writes
// those that differ.
func replaceConsents(w *writer, id string, have, want []Consent) error {
	for _, c := range have {
		if !slices.ContainsFunc(want, func(n Consent) bool { return n.Biometric == c.Biometric }) {
			if err := w.apply(Change{Kind: ConsentRemoved, ID: id, Consent: &Consent{Identity: id, Biometric: c.Biometric}}); err != nil {
				return err
			}
		}
	}
	for _, c := range want {
		c.Identity = id
		if slices.ContainsFunc(have, func(o Consent) bool { return sameConsent(o, c) }) {
			continue
		}
		if err := w.apply(Change{Kind: ConsentPut, ID: id, Consent: &c}); err != nil {
			return err
		}
	}
	return nil
}

func inForce(cs []Consent, b policy.Factor) bool {
	return slices.ContainsFunc(cs, func(c Consent) bool { return c.Biometric == b && c.InForce() })
}

func sameCredential(a, b Credential) bool {
	return a.Kind == b.Kind && a.Key == b.Key && a.Identity == b.Identity && a.Blacklisted == b.Blacklisted && a.Created.Equal(b.Created)
}

func sameConsent(a, b Consent) bool {
	return a.Biometric == b.Biometric && a.Given.Equal(b.Given) && a.Text == b.Text && a.Account == b.Account &&
		(a.Withdrawn == nil) == (b.Withdrawn == nil) && (a.Withdrawn == nil || a.Withdrawn.Equal(*b.Withdrawn)) && a.WithdrawnBy == b.WithdrawnBy
}

func sameTemplate(a, b fingers.Template) bool {
	return a.Slot == b.Slot && a.Identity == b.Identity && a.Model == b.Model &&
		string(a.Data) == string(b.Data) && slices.Equal(a.Modules, b.Modules)
}

// DirectoryPeople reads every person's whole record in one pass (for a
// full reconcile, or a burst of changes too large to read one by one:
// credentials and templates are not keyed by person, so a single record
// reads their whole key spaces).
func (s *Store) DirectoryPeople() (map[string]*DirectoryPerson, error) {
	out := map[string]*DirectoryPerson{}
	err := s.db.View(func(txn *badger.Txn) error {
		if err := iterJSON(txn, keyIdentity, func(i *Identity) { out[i.ID] = &DirectoryPerson{Identity: *i} }); err != nil {
			return err
		}
		if err := iterJSON(txn, keyCredential, func(c *Credential) {
			if p := out[c.Identity]; p != nil {
				p.Credentials = append(p.Credentials, *c)
			}
		}); err != nil {
			return err
		}
		if err := iterJSON(txn, keyConsent, func(c *Consent) {
			if p := out[c.Identity]; p != nil {
				p.Consents = append(p.Consents, *c)
			}
		}); err != nil {
			return err
		}
		if err := iterJSON(txn, keyFinger, func(t *fingers.Template) {
			if p := out[t.Identity]; p != nil {
				p.Templates = append(p.Templates, *t)
			}
		}); err != nil {
			return err
		}
		for _, p := range out {
			var err error
			if p.Faces, err = personFaces(txn, p.Identity.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: read the directory: %w", err)
	}
	return out, nil
}
