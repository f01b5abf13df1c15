package store

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"menwei/controller/fingers"
)

// Fingerprint templates live in the store (the source of truth), one key
// per slot: the same slot on every module.
const keyFinger = "fp/" // fp/<slot, 4 bytes BE> → fingers.Template (JSON)

func fingerKey(slot int) []byte {
	return binary.BigEndian.AppendUint32([]byte(keyFinger), uint32(slot))
}

// The Store is the fingers.TemplateStore.
var _ fingers.TemplateStore = (*Store)(nil)

// Templates lists every stored template.
func (s *Store) Templates() ([]fingers.Template, error) {
	var out []fingers.Template
	err := s.db.View(func(txn *badger.Txn) error {
		return iterJSON(txn, keyFinger, func(t *fingers.Template) { out = append(out, *t) })
	})
	return out, err
}

// PutTemplate stores a template in its slot for an existing identity.
func (s *Store) PutTemplate(t fingers.Template) error {
	return s.write(func(w *writer) error {
		if _, err := w.txn.Get([]byte(keyIdentity + t.Identity)); errors.Is(err, badger.ErrKeyNotFound) {
			return fmt.Errorf("identity %q: %w", t.Identity, ErrNotFound)
		}
		return w.apply(Change{Kind: TemplatePut, ID: t.Identity, Template: &t})
	})
}

// DeleteTemplates removes an identity's templates and reports their slots.
func (s *Store) DeleteTemplates(identity string) ([]int, error) {
	var slots []int
	err := s.write(func(w *writer) error {
		var err error
		if _, slots, err = templateKeys(w.txn, identity); err != nil {
			return err
		}
		return w.apply(Change{Kind: TemplatesDeleted, ID: identity})
	})
	return slots, err
}

// templateKeys lists the keys and slots of an identity's templates.
func templateKeys(txn *badger.Txn, identity string) ([][]byte, []int, error) {
	var (
		keys  [][]byte
		slots []int
	)
	err := iterJSON(txn, keyFinger, func(t *fingers.Template) {
		if t.Identity == identity {
			slots = append(slots, t.Slot)
			keys = append(keys, fingerKey(t.Slot))
		}
	})
	return keys, slots, err
}

// FingerSlot finds who holds a slot.
func (s *Store) FingerSlot(slot int) (fingers.Template, error) {
	var t fingers.Template
	err := s.db.View(func(txn *badger.Txn) error { return getJSON(txn, string(fingerKey(slot)), &t) })
	return t, err
}
