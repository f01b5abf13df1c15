package controller

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Resident is a person who lives in the community, with the cards that
// identify them. Doors empty means every door.
type Resident struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Unit     string    `json:"unit,omitempty"` // building-unit, e.g. "3-201"
	Cards    []string  `json:"cards,omitempty"`
	Doors    []string  `json:"doors,omitempty"`
	Disabled bool      `json:"disabled,omitempty"`
	Created  time.Time `json:"created"`
}

var idRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func (r *Resident) validate() error {
	switch {
	case !idRE.MatchString(r.ID):
		return fmt.Errorf("%w: resident id %q: 1-64 letters, digits, '.', '_' or '-'", ErrBadRequest, r.ID)
	case r.Name == "":
		return fmt.Errorf("%w: resident %s: name required", ErrBadRequest, r.ID)
	}
	for _, c := range r.Cards {
		if _, err := ParseCard(c); err != nil {
			return fmt.Errorf("%w: resident %s: %w", ErrBadRequest, r.ID, err)
		}
	}
	return nil
}

// PutResident creates or replaces a resident and its card index.
func (s *Store) PutResident(r Resident) error {
	for i, c := range r.Cards {
		k, err := ParseCard(c)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrBadRequest, err)
		}
		r.Cards[i] = k.String()
	}
	if err := r.validate(); err != nil {
		return err
	}
	return s.db.Update(func(txn *badger.Txn) error {
		var old Resident
		err := getJSON(txn, keyResident+r.ID, &old)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		if r.Created.IsZero() {
			r.Created = old.Created
		}
		for _, c := range old.Cards {
			if !slices.Contains(r.Cards, c) {
				if err := txn.Delete([]byte(keyCard + c)); err != nil {
					return err
				}
			}
		}
		for _, c := range r.Cards {
			item, err := txn.Get([]byte(keyCard + c))
			if err == nil {
				owner, _ := item.ValueCopy(nil)
				if string(owner) != r.ID {
					return fmt.Errorf("%w (%s)", ErrCardInUse, owner)
				}
			} else if !errors.Is(err, badger.ErrKeyNotFound) {
				return err
			}
			if err := txn.Set([]byte(keyCard+c), []byte(r.ID)); err != nil {
				return err
			}
		}
		return setJSON(txn, keyResident+r.ID, r)
	})
}

// Resident returns one resident.
func (s *Store) Resident(id string) (Resident, error) {
	var r Resident
	err := s.db.View(func(txn *badger.Txn) error { return getJSON(txn, keyResident+id, &r) })
	return r, err
}

// ResidentByCard finds the owner of a card credential.
func (s *Store) ResidentByCard(card Card) (Resident, error) {
	var r Resident
	err := s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte(keyCard + card.String()))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		id, err := item.ValueCopy(nil)
		if err != nil {
			return err
		}
		return getJSON(txn, keyResident+string(id), &r)
	})
	return r, err
}

// Residents lists every resident, ordered by id.
func (s *Store) Residents() ([]Resident, error) {
	var out []Resident
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(keyResident), PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var r Resident
			if err := it.Item().Value(func(b []byte) error { return jsonUnmarshal(b, &r) }); err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// DeleteResident removes a resident and its cards.
func (s *Store) DeleteResident(id string) error {
	return s.db.Update(func(txn *badger.Txn) error {
		var r Resident
		if err := getJSON(txn, keyResident+id, &r); err != nil {
			return err
		}
		for _, c := range r.Cards {
			if err := txn.Delete([]byte(keyCard + c)); err != nil {
				return err
			}
		}
		return txn.Delete([]byte(keyResident + id))
	})
}
