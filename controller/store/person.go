package store

import (
	"encoding/binary"
	"time"

	"github.com/dgraph-io/badger/v4"

	"menwei/controller/eventlog"
	"menwei/controller/policy"
)

// A person's right to see and copy their data (PIPL art. 45): everything
// the store holds about one person, without a secret. Card numbers are
// masked, PINs and device tokens never leave (only whether they are set),
// face descriptors and fingerprint templates are listed but not copied
// (they are only meaningful to this system, and a copy would be a new
// risk to the person).

// PersonRecord is everything the store holds about one person.
type PersonRecord struct {
	Identity    PersonIdentity     `json:"identity"`
	Credentials []PersonCredential `json:"credentials"`
	Consents    []Consent          `json:"consents"`
	Faces       []string           `json:"faces"`        // the ids of their face descriptors
	Fingers     []int              `json:"fingerprints"` // the slots of their fingerprint templates
	Phones      []PersonPhone      `json:"phones"`
	Events      []eventlog.Event   `json:"events"`
	Crops       []uint64           `json:"crops"` // the events with a face crop (the images go with the export)
}

// PersonIdentity is the identity record without its secrets.
type PersonIdentity struct {
	ID        string      `json:"id"`
	Kind      policy.Kind `json:"kind"`
	Name      string      `json:"name"`
	Unit      string      `json:"unit,omitempty"`
	Groups    []string    `json:"groups,omitempty"`
	Disabled  bool        `json:"disabled,omitempty"`
	Host      string      `json:"host,omitempty"`
	Pass      *Pass       `json:"pass,omitempty"`
	HasPIN    bool        `json:"has_pin"`
	HasDuress bool        `json:"has_duress_pin"`
	Created   time.Time   `json:"created"`
}

// PersonCredential is a credential as a person may see it: a card by its
// masked number.
type PersonCredential struct {
	Kind        policy.Factor `json:"kind"`
	Card        string        `json:"card,omitempty"` // masked, e.g. "…34"
	Blacklisted bool          `json:"blacklisted,omitempty"`
	Created     time.Time     `json:"created"`
}

// PersonPhone is a paired phone without its token.
type PersonPhone struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Revoked bool      `json:"revoked,omitempty"`
	Created time.Time `json:"created"`
}

// Person gathers everything the store holds about a person.
func (s *Store) Person(id string) (PersonRecord, error) {
	var p PersonRecord
	var i Identity
	err := s.db.View(func(txn *badger.Txn) error {
		if err := getJSON(txn, keyIdentity+id, &i); err != nil {
			return err
		}
		if err := iterJSON(txn, keyCredential, func(c *Credential) {
			if c.Identity != id {
				return
			}
			pc := PersonCredential{Kind: c.Kind, Blacklisted: c.Blacklisted, Created: c.Created}
			switch c.Kind {
			case policy.Card:
				if card, err := ParseCard(c.Key); err == nil {
					pc.Card = card.Hint()
				}
			case policy.Face, policy.Finger, policy.Phone, policy.Code:
			default:
				return
			}
			p.Credentials = append(p.Credentials, pc)
		}); err != nil {
			return err
		}
		if err := iterJSON(txn, keyConsent+id+"/", func(c *Consent) { p.Consents = append(p.Consents, *c) }); err != nil {
			return err
		}
		for _, k := range faceKeys(txn, id) {
			p.Faces = append(p.Faces, string(k[len(keyFace)+len(id)+1:]))
		}
		_, slots, err := templateKeys(txn, id)
		if err != nil {
			return err
		}
		p.Fingers = slots
		return iterJSON(txn, keyDevice, func(d *Device) {
			if d.Identity == id {
				p.Phones = append(p.Phones, PersonPhone{ID: d.ID, Name: d.Name, Revoked: d.Revoked, Created: d.Created})
			}
		})
	})
	if err != nil {
		return p, err
	}
	p.Identity = PersonIdentity{ID: i.ID, Kind: i.Kind, Name: i.Name, Unit: i.Unit, Groups: i.Groups, Disabled: i.Disabled,
		Host: i.Host, Pass: i.Pass, HasPIN: i.PIN != nil, HasDuress: i.Duress != nil, Created: i.Created}
	if p.Events, err = s.personEvents(id); err != nil {
		return p, err
	}
	// The crops kept are few (face.crops.max_count): one pass over them,
	// not a read per event.
	theirs := map[uint64]bool{}
	for _, e := range p.Events {
		theirs[e.Seq] = true
	}
	err = s.db.View(func(txn *badger.Txn) error {
		for _, k := range prefixKeys(txn, keyCrop) {
			if seq := binary.BigEndian.Uint64(k[len(keyCrop):]); theirs[seq] {
				p.Crops = append(p.Crops, seq)
			}
		}
		return nil
	})
	return p, err
}

// personEvents returns every event about the person, oldest first.
func (s *Store) personEvents(id string) ([]eventlog.Event, error) {
	var out []eventlog.Event
	q := eventlog.Query{Identity: id, Limit: 1000}
	for {
		page, err := s.Events(q)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < q.Limit {
			return out, nil
		}
		q.After = page[len(page)-1].Seq
	}
}

// DeleteCrops removes the face crops of the given events.
func (s *Store) DeleteCrops(seqs []uint64) error {
	return s.db.Update(func(txn *badger.Txn) error {
		for _, seq := range seqs {
			if err := txn.Delete(binary.BigEndian.AppendUint64([]byte(keyCrop), seq)); err != nil {
				return err
			}
		}
		return nil
	})
}
