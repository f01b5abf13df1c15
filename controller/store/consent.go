package store

import (
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"

	"menwei/controller/policy"
)

// Consent to a biometric. A face or a fingerprint is sensitive personal
// information (PIPL art. 28-29): it is processed only with the person's
// separate consent. The store keeps, for each person and biometric, who
// consented, when, to which version of the consent text, and which account
// took the consent; and, once withdrawn, when and by whom.
//
// The rule is kept on the store's one write path itself (writer.apply): a
// face or a fingerprint template is written only for a person with a
// consent in force, whichever path writes it (the API, the console, a
// terminal's enrolment, menweictl, a bulk import, later replication). A
// withdrawal deletes that biometric in the same transaction.
type Consent struct {
	Identity  string        `json:"identity"`
	Biometric policy.Factor `json:"biometric"` // face or finger
	Given     time.Time     `json:"given"`
	Text      string        `json:"text"`    // the version of the consent text the person was shown
	Account   string        `json:"account"` // who took it: an account, or "menweictl"
	// Withdrawn is set when the person withdrew it; the record stays as
	// the evidence of what was consented and until when.
	Withdrawn   *time.Time `json:"withdrawn,omitempty"`
	WithdrawnBy string     `json:"withdrawn_by,omitempty"`
}

// In force reports whether the consent allows the biometric now.
func (c Consent) InForce() bool { return c.Withdrawn == nil }

const keyConsent = "consent/" // consent/<identity>/<biometric> → Consent

func consentKey(identity string, b policy.Factor) string {
	return keyConsent + identity + "/" + string(b)
}

// ErrNoConsent: a face or fingerprint template for a person without a
// consent in force for it.
var ErrNoConsent = errors.New("store: no consent in force for this biometric")

// The change kinds of consents.
const (
	ConsentPut ChangeKind = "consent.put" // Consent: given, or withdrawn (Withdrawn set)
)

func biometricFactor(b policy.Factor) error {
	if b != policy.Face && b != policy.Finger {
		return fmt.Errorf("%w: biometric %q: face or finger", ErrBadRequest, b)
	}
	return nil
}

// GiveConsent records a person's consent to a biometric (a new consent
// replaces a withdrawn one; the earlier withdrawal is in the event log).
func (s *Store) GiveConsent(c Consent) error {
	if err := biometricFactor(c.Biometric); err != nil {
		return err
	}
	switch {
	case c.Text == "":
		return fmt.Errorf("%w: consent text: the version of the text the person was shown is required", ErrBadRequest)
	case c.Account == "":
		return fmt.Errorf("%w: consent account: who took the consent is required", ErrBadRequest)
	}
	if c.Given.IsZero() {
		c.Given = time.Now().UTC()
	}
	c.Withdrawn, c.WithdrawnBy = nil, ""
	return s.write(func(w *writer) error {
		if _, err := w.txn.Get([]byte(keyIdentity + c.Identity)); errors.Is(err, badger.ErrKeyNotFound) {
			return notFound(keyIdentity + c.Identity)
		}
		return w.apply(Change{Kind: ConsentPut, ID: c.Identity, Consent: &c})
	})
}

// WithdrawConsent records that a person withdrew their consent to a
// biometric and, in the same transaction, deletes every face (or
// fingerprint template) of theirs from the store; the face index follows
// the store, the fingerprint modules are the controller's to clear. It
// returns the consent as it now stands and how many records went.
func (s *Store) WithdrawConsent(identity string, b policy.Factor, by string, at time.Time) (Consent, int, error) {
	if err := biometricFactor(b); err != nil {
		return Consent{}, 0, err
	}
	var c Consent
	n := 0
	err := s.write(func(w *writer) error {
		if err := getJSON(w.txn, consentKey(identity, b), &c); err != nil {
			return err
		}
		if !c.InForce() {
			return fmt.Errorf("%w: the consent to %s of %s was already withdrawn", ErrBadRequest, b, identity)
		}
		at := at.UTC()
		c.Withdrawn, c.WithdrawnBy = &at, by
		if err := w.apply(Change{Kind: ConsentPut, ID: identity, Consent: &c}); err != nil {
			return err
		}
		if b == policy.Face {
			n = len(faceKeys(w.txn, identity))
			return w.apply(Change{Kind: FacesDeleted, ID: identity})
		}
		keys, _, err := templateKeys(w.txn, identity)
		if err != nil {
			return err
		}
		n = len(keys)
		return w.apply(Change{Kind: TemplatesDeleted, ID: identity})
	})
	return c, n, err
}

// Consents returns a person's consent records (in force or withdrawn).
func (s *Store) Consents(identity string) ([]Consent, error) {
	var out []Consent
	err := s.db.View(func(txn *badger.Txn) error {
		return iterJSON(txn, keyConsent+identity+"/", func(c *Consent) { out = append(out, *c) })
	})
	return out, err
}

// AllConsents returns every consent record, by person (for a list of
// residents that says who consented and who declined).
func (s *Store) AllConsents() (map[string][]Consent, error) {
	out := map[string][]Consent{}
	err := s.db.View(func(txn *badger.Txn) error {
		return iterJSON(txn, keyConsent, func(c *Consent) { out[c.Identity] = append(out[c.Identity], *c) })
	})
	return out, err
}

// ImportConsents records many consents at once (a bulk import of a
// property office's records, with the faces that follow them).
func (s *Store) ImportConsents(cs []Consent) error {
	for _, c := range cs {
		if err := biometricFactor(c.Biometric); err != nil {
			return err
		}
		if c.Text == "" || c.Account == "" || c.Given.IsZero() {
			return fmt.Errorf("%w: consent of %s: text, account and time are required", ErrBadRequest, c.Identity)
		}
	}
	const chunk = 1000
	for len(cs) > 0 {
		n := min(len(cs), chunk)
		if err := s.write(func(w *writer) error {
			for i := range cs[:n] {
				if err := w.apply(Change{Kind: ConsentPut, ID: cs[i].Identity, Consent: &cs[i]}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return fmt.Errorf("store: import consents: %w", err)
		}
		cs = cs[n:]
	}
	return nil
}

// consented is the write path's rule: a biometric is written only with a
// consent in force.
func consented(txn *badger.Txn, identity string, b policy.Factor) error {
	var c Consent
	err := getJSON(txn, consentKey(identity, b), &c)
	if errors.Is(err, ErrNotFound) || err == nil && !c.InForce() {
		return fmt.Errorf("%w: %s of %s (record the person's consent first)", ErrNoConsent, b, identity)
	}
	return err
}
