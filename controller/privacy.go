package controller

import (
	"context"
	"crypto/rand"
	"encoding/hex"

	"menwei/controller/policy"
	"menwei/controller/store"
)

// A person's rights over their biometrics and their data: withdrawing a
// consent, and erasure. Consent itself is kept by the store, on its write
// path (store.Consent); retention is retention.go.

// WithdrawConsent records that a person withdrew their consent to a
// biometric and deletes it everywhere: their fingerprint templates from
// every module and the store, or their faces from the store (the face
// index follows). It returns the consent as it now stands and how many
// records were deleted.
func (c *Controller) WithdrawConsent(ctx context.Context, identity string, b policy.Factor, by string) (store.Consent, int, error) {
	slots := 0
	if b == policy.Finger && c.fingers != nil {
		// The modules first, while the consent still stands: if this
		// fails the person can ask again and nothing is half-done.
		ts, err := c.store.Templates()
		if err != nil {
			return store.Consent{}, 0, err
		}
		for _, t := range ts {
			if t.Identity == identity {
				slots++
			}
		}
		if err := c.RemoveFingers(ctx, identity); err != nil {
			return store.Consent{}, 0, err
		}
	}
	cs, n, err := c.store.WithdrawConsent(identity, b, by, c.now())
	return cs, n + slots, err
}

// ErasureReport says what ErasePerson did.
type ErasureReport struct {
	Pseudonym  string   `json:"pseudonym"`  // what their events now name instead of them
	Events     int      `json:"events"`     // events pseudonymised
	Unerasable int      `json:"unerasable"` // events recorded before erasure existed, left to retention
	Crops      int      `json:"crops"`      // face crops of their events deleted
	Visitors   int      `json:"visitors"`   // their visitors, now hosted by the pseudonym
	Erasures   []uint64 `json:"erasures"`   // the person.erased events recorded
}

// ErasePerson carries out a person's right to erasure (PIPL art. 47): their
// fingerprint templates leave every module; their record, credentials,
// PINs, faces, templates, consents and phones leave the store; the face
// crops of their events are deleted; and their events are pseudonymised
// under the hash chain (eventlog.Erase), so the log still verifies. by is
// the account that carried it out.
func (c *Controller) ErasePerson(ctx context.Context, id, by string) (ErasureReport, error) {
	var r ErasureReport
	p, err := c.store.Person(id)
	if err != nil {
		return r, err
	}
	if err := c.RemoveFingers(ctx, id); err != nil {
		return r, err
	}
	if err := c.store.DeleteCrops(p.Crops); err != nil {
		return r, err
	}
	r.Crops = len(p.Crops)
	if err := c.store.DeleteIdentity(id); err != nil {
		return r, err
	}
	b := make([]byte, 6)
	rand.Read(b)
	r.Pseudonym = "erased-" + hex.EncodeToString(b)
	// Their visitors stay (a guard revokes a pass, not an erasure), hosted
	// by the pseudonym: no record keeps the erased id.
	visitors, err := c.store.Identities(policy.Visitor)
	if err != nil {
		return r, err
	}
	for _, v := range visitors {
		if v.Host == id {
			v.Host = r.Pseudonym
			if err := c.store.PutIdentity(v); err != nil {
				return r, err
			}
			r.Visitors++
		}
	}
	res, err := c.store.Erase(ctx, id, r.Pseudonym, by)
	r.Events, r.Unerasable, r.Erasures = res.Events, res.Unerasable, res.Erasures
	return r, err
}
