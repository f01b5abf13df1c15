package store

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"time"

	"github.com/dgraph-io/badger/v4"
	"golang.org/x/crypto/argon2"

	"menwei/controller/policy"
)

// Identity is a person known to the controller: a resident, a visitor
// (with a pass and a host) or a staff member.
type Identity struct {
	ID     string      `json:"id"`
	Kind   policy.Kind `json:"kind"`
	Name   string      `json:"name"`
	Unit   string      `json:"unit,omitempty"`  // building-unit, e.g. "3-201"
	Phone  string      `json:"phone,omitempty"` // a number to call, e.g. "138 0013 8000"
	Groups []string    `json:"groups,omitempty"`
	// Schedule, when set, limits the person (not staff) to the periods of
	// that schedule at every door, besides the door's own schedule.
	Schedule string    `json:"schedule,omitempty"`
	Disabled bool      `json:"disabled,omitempty"`
	Host     string    `json:"host,omitempty"` // visitors: the resident they visit
	Pass     *Pass     `json:"pass,omitempty"` // visitors
	PIN      *Secret   `json:"pin,omitempty"`
	Duress   *Secret   `json:"duress_pin,omitempty"`
	Created  time.Time `json:"created"`
}

// Pass is a visitor's permission.
type Pass struct {
	From    time.Time `json:"from"`
	Until   time.Time `json:"until"`
	Doors   []string  `json:"doors,omitempty"` // empty = every door
	MaxUses int       `json:"max_uses,omitempty"`
	Uses    int       `json:"uses"`
	// Revoked is when a guard or admin ended the pass early (nil = not
	// revoked), and RevokedBy the account. A revoked pass opens nothing;
	// the visitor's record stays for the history (RevokePass).
	Revoked   *time.Time `json:"revoked,omitempty"`
	RevokedBy string     `json:"revoked_by,omitempty"`
}

// Secret is a slow hash (Argon2id) of a PIN.
type Secret struct {
	Salt []byte `json:"salt"`
	Hash []byte `json:"hash"`
}

// Argon2id parameters: about 10 ms and 8 MiB per check on a gate box,
// which a PIN pad's human pace does not notice.
const (
	argonTime    = 1
	argonMemory  = 8 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

func hashSecret(s string) *Secret {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt) // never fails (crypto/rand)
	return &Secret{Salt: salt, Hash: argon2.IDKey([]byte(s), salt, argonTime, argonMemory, argonThreads, argonKeyLen)}
}

func (s *Secret) matches(v string) bool {
	if s == nil {
		return false
	}
	h := argon2.IDKey([]byte(v), s.Salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return subtle.ConstantTimeCompare(h, s.Hash) == 1
}

// Credential links something presented at a reader to an identity.
type Credential struct {
	Kind     policy.Factor `json:"kind"`
	Key      string        `json:"key"` // card: "h10301:F:N"; face/finger/phone: their ids
	Identity string        `json:"identity"`
	// Blacklisted credentials (a lost card) stay known, so an attempt with
	// one is refused as blacklisted and stands out in the log.
	Blacklisted bool      `json:"blacklisted,omitempty"`
	Created     time.Time `json:"created"`
}

// CheckIdentity says what is wrong with an identity (ErrBadRequest, the
// field first), without writing it: for checking a whole import first.
func CheckIdentity(i Identity) error { return i.validate() }

var (
	idRE    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	phoneRE = regexp.MustCompile(`^\+?[0-9][0-9 -]{0,19}$`)
)

func (i *Identity) validate() error {
	bad := func(f string, a ...any) error {
		return fmt.Errorf("%w: identity %q: %s", ErrBadRequest, i.ID, fmt.Sprintf(f, a...))
	}
	switch {
	case !idRE.MatchString(i.ID):
		return bad("id: 1-64 letters, digits, '.', '_' or '-'")
	case i.Name == "":
		return bad("name required")
	case i.Kind != policy.Resident && i.Kind != policy.Visitor && i.Kind != policy.Staff:
		return bad("kind %q: resident, visitor or staff", i.Kind)
	case i.Kind == policy.Visitor && i.Pass == nil:
		return bad("a visitor needs a pass")
	case i.Pass != nil && !i.Pass.Until.After(i.Pass.From):
		return bad("pass: until must be after from")
	case i.Pass != nil && i.Pass.MaxUses < 0:
		return bad("pass: max_uses must not be negative")
	case len(i.Name) > 128:
		return bad("name: at most 128 bytes")
	case len(i.Unit) > 64:
		return bad("unit: at most 64 bytes")
	case i.Phone != "" && !phoneRE.MatchString(i.Phone):
		return bad("phone: up to 20 digits, spaces, '+' or '-'")
	case i.Schedule != "" && !idRE.MatchString(i.Schedule):
		return bad("schedule %q: 1-64 letters, digits, '.', '_' or '-'", i.Schedule)
	}
	for _, g := range i.Groups {
		if !idRE.MatchString(g) {
			return bad("group %q: 1-64 letters, digits, '.', '_' or '-'", g)
		}
	}
	return nil
}

// Keys.
const (
	keyIdentity   = "id/"   // id/<id> → Identity
	keyCredential = "cred/" // cred/<kind>/<key> → Credential
	keyInside     = "apb/"  // apb/<identity> → "1" inside, "0" outside
)

func credKey(kind policy.Factor, key string) string { return keyCredential + string(kind) + "/" + key }

// PutIdentity creates or replaces an identity. Its credentials, PIN and
// pass use count are kept when the stored record has them and i does not.
func (s *Store) PutIdentity(i Identity) error { return s.PutIdentityWith(i, nil) }

// PutIdentityWith creates or replaces an identity (as PutIdentity) and adds
// creds to it, all or nothing: every credential is checked first and they
// are written with the identity in one transaction, so a refused credential
// (malformed, or another identity's card) leaves the store as it was.
// Errors name the credential by its position (never its key).
func (s *Store) PutIdentityWith(i Identity, creds []Credential) error {
	if err := i.validate(); err != nil {
		return err
	}
	cs := make([]Credential, len(creds))
	for n, c := range creds {
		c.Identity = i.ID
		var err error
		if cs[n], err = normalizeCredential(c); err != nil {
			return fmt.Errorf("credential %d of %d: %w", n+1, len(creds), err)
		}
	}
	return s.write(func(w *writer) error {
		if err := putIdentity(w, i); err != nil {
			return err
		}
		for n, c := range cs {
			if err := addCredential(w, c); err != nil {
				return fmt.Errorf("credential %d of %d: %w", n+1, len(cs), err)
			}
		}
		return nil
	})
}

// putIdentity keeps what the stored record has and i does not (see
// PutIdentity) and applies the result.
func putIdentity(w *writer, i Identity) error {
	var old Identity
	err := getJSON(w.txn, keyIdentity+i.ID, &old)
	switch {
	case errors.Is(err, ErrNotFound):
		if i.Created.IsZero() {
			i.Created = time.Now().UTC()
		}
	case err != nil:
		return err
	default:
		i.Created = old.Created
		if i.PIN == nil {
			i.PIN = old.PIN
		}
		if i.Duress == nil {
			i.Duress = old.Duress
		}
		if i.Pass != nil && old.Pass != nil && i.Pass.Uses == 0 {
			i.Pass.Uses = old.Pass.Uses
		}
		if i.Pass != nil && old.Pass != nil && i.Pass.Revoked == nil && old.Pass.Revoked != nil {
			// A revoked pass stays revoked: a later write of the
			// record does not bring it back.
			i.Pass.Revoked, i.Pass.RevokedBy = old.Pass.Revoked, old.Pass.RevokedBy
		}
	}
	return w.apply(Change{Kind: IdentityPut, ID: i.ID, Identity: &i})
}

// Identity returns one identity.
func (s *Store) Identity(id string) (Identity, error) {
	var i Identity
	err := s.db.View(func(txn *badger.Txn) error { return getJSON(txn, keyIdentity+id, &i) })
	return i, err
}

// Identities lists identities of a kind ("" = all), ordered by id.
func (s *Store) Identities(kind policy.Kind) ([]Identity, error) {
	var out []Identity
	err := s.db.View(func(txn *badger.Txn) error {
		return iterJSON(txn, keyIdentity, func(i *Identity) {
			if kind == "" || i.Kind == kind {
				out = append(out, *i)
			}
		})
	})
	return out, err
}

// DeleteIdentity removes an identity with its credentials, faces and state.
func (s *Store) DeleteIdentity(id string) error {
	return s.write(func(w *writer) error {
		if _, err := w.txn.Get([]byte(keyIdentity + id)); errors.Is(err, badger.ErrKeyNotFound) {
			return notFound(keyIdentity + id)
		}
		return w.apply(Change{Kind: IdentityDeleted, ID: id})
	})
}

// deleteIdentity deletes an identity's record, credentials, fingerprint
// templates, faces, consents, paired phones and anti-passback state.
func deleteIdentity(txn *badger.Txn, id string) error {
	var keys [][]byte
	if err := iterJSON(txn, keyCredential, func(c *Credential) {
		if c.Identity == id {
			keys = append(keys, []byte(credKey(c.Kind, c.Key)))
		}
	}); err != nil {
		return err
	}
	fps, _, err := templateKeys(txn, id)
	if err != nil {
		return err
	}
	keys = append(keys, fps...)
	keys = append(keys, faceKeys(txn, id)...)
	// The person's phones go too: a moved-out resident's phone must not
	// list doors or invite guests (its credential went with the others).
	if err := iterJSON(txn, keyDevice, func(d *Device) {
		if d.Identity == id {
			keys = append(keys, []byte(keyDevice+d.ID))
		}
	}); err != nil {
		return err
	}
	keys = append(keys, prefixKeys(txn, keyConsent+id+"/")...)
	keys = append(keys, []byte(keyIdentity+id), []byte(keyInside+id))
	return deleteKeys(txn, keys)
}

// AddCredential links a credential to an existing identity.
func (s *Store) AddCredential(c Credential) error {
	c, err := normalizeCredential(c)
	if err != nil {
		return err
	}
	return s.write(func(w *writer) error {
		if _, err := w.txn.Get([]byte(keyIdentity + c.Identity)); errors.Is(err, badger.ErrKeyNotFound) {
			return fmt.Errorf("identity %q: %w", c.Identity, ErrNotFound)
		}
		return addCredential(w, c)
	})
}

// normalizeCredential checks a credential's kind and key (a card in its
// canonical form) and stamps its creation time.
func normalizeCredential(c Credential) (Credential, error) {
	if c.Kind == policy.Card {
		card, err := ParseCard(c.Key)
		if err != nil {
			return c, fmt.Errorf("%w: %w", ErrBadRequest, err)
		}
		c.Key = card.String()
	}
	if c.Key == "" || !slices.Contains([]policy.Factor{policy.Card, policy.Face, policy.Finger, policy.Phone, policy.Code}, c.Kind) {
		return c, fmt.Errorf("%w: credential kind %q with key %q", ErrBadRequest, c.Kind, c.Key)
	}
	if c.Created.IsZero() {
		c.Created = time.Now().UTC()
	}
	return c, nil
}

// addCredential applies c unless its key belongs to another identity.
func addCredential(w *writer, c Credential) error {
	var old Credential
	err := getJSON(w.txn, credKey(c.Kind, c.Key), &old)
	if err == nil && old.Identity != c.Identity {
		return fmt.Errorf("%w (%s)", ErrCardInUse, old.Identity)
	}
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	return w.apply(Change{Kind: CredentialPut, ID: c.Identity, Credential: &c})
}

// RemoveCredential deletes a credential.
func (s *Store) RemoveCredential(kind policy.Factor, key string) error {
	if kind == policy.Card {
		if card, err := ParseCard(key); err == nil {
			key = card.String()
		}
	}
	return s.write(func(w *writer) error {
		var c Credential
		if err := getJSON(w.txn, credKey(kind, key), &c); err != nil {
			return err
		}
		return w.apply(Change{Kind: CredentialRemoved, ID: c.Identity, Credential: &Credential{Kind: kind, Key: key, Identity: c.Identity}})
	})
}

// SetBlacklisted marks or clears a credential as blacklisted.
func (s *Store) SetBlacklisted(kind policy.Factor, key string, on bool) error {
	if kind == policy.Card {
		if card, err := ParseCard(key); err == nil {
			key = card.String()
		}
	}
	return s.write(func(w *writer) error {
		var c Credential
		if err := getJSON(w.txn, credKey(kind, key), &c); err != nil {
			return err
		}
		c.Blacklisted = on
		return w.apply(Change{Kind: CredentialPut, ID: c.Identity, Credential: &c})
	})
}

// Credentials lists an identity's credentials ("" = every credential).
func (s *Store) Credentials(identity string) ([]Credential, error) {
	var out []Credential
	err := s.db.View(func(txn *badger.Txn) error {
		return iterJSON(txn, keyCredential, func(c *Credential) {
			if identity == "" || c.Identity == identity {
				out = append(out, *c)
			}
		})
	})
	return out, err
}

// Lookup finds a credential and its identity.
func (s *Store) Lookup(kind policy.Factor, key string) (Credential, Identity, error) {
	var (
		c Credential
		i Identity
	)
	err := s.db.View(func(txn *badger.Txn) error {
		if err := getJSON(txn, credKey(kind, key), &c); err != nil {
			return err
		}
		return getJSON(txn, keyIdentity+c.Identity, &i)
	})
	return c, i, err
}

var pinRE = regexp.MustCompile(`^[0-9]{4,12}$`)

// SetPIN sets (or with duress, the duress) PIN of an identity: 4-12 digits,
// stored only as a slow hash.
func (s *Store) SetPIN(id, pin string, duress bool) error {
	if !pinRE.MatchString(pin) {
		return fmt.Errorf("%w: a PIN is 4 to 12 digits", ErrBadRequest)
	}
	sec := hashSecret(pin)
	return s.write(func(w *writer) error {
		var i Identity
		if err := getJSON(w.txn, keyIdentity+id, &i); err != nil {
			return err
		}
		other := i.Duress
		if duress {
			other = i.PIN
		}
		if other.matches(pin) {
			return fmt.Errorf("%w: the PIN and the duress PIN must differ", ErrBadRequest)
		}
		if duress {
			i.Duress = sec
		} else {
			i.PIN = sec
		}
		return w.apply(Change{Kind: IdentityPut, ID: id, Identity: &i})
	})
}

// CheckPIN reports whether pin is the identity's PIN, or its duress PIN.
func CheckPIN(i Identity, pin string) (ok, duress bool) {
	if i.Duress.matches(pin) {
		return true, true
	}
	return i.PIN.matches(pin), false
}

// ErrRevoked refuses to revoke a pass twice.
var ErrRevoked = errors.New("store: the pass is already revoked")

// RevokePass ends a visitor's pass now. The visitor's record stays, with
// its pass (now revoked) and its uses, so the history still says who came
// and the list of past passes still shows it; their faces are deleted in
// the same transaction (the face index follows), so a revoked visitor's
// face is no longer kept and no longer makes another enrolment of the same
// face ambiguous. Their pass code stays known, so a code typed after the
// revocation is refused as revoked and stands out in the log.
func (s *Store) RevokePass(id, by string, now time.Time) (Identity, error) {
	var i Identity
	err := s.write(func(w *writer) error {
		if err := getJSON(w.txn, keyIdentity+id, &i); err != nil {
			return err
		}
		if i.Kind != policy.Visitor || i.Pass == nil {
			return fmt.Errorf("%w: identity %q", ErrNotFound, id)
		}
		if i.Pass.Revoked != nil {
			return ErrRevoked
		}
		t := now.UTC()
		i.Pass.Revoked, i.Pass.RevokedBy = &t, by
		if err := w.apply(Change{Kind: IdentityPut, ID: id, Identity: &i}); err != nil {
			return err
		}
		return w.apply(Change{Kind: FacesDeleted, ID: id})
	})
	return i, err
}

// UsePass counts one use of a visitor's pass.
func (s *Store) UsePass(id string) error {
	return s.write(func(w *writer) error {
		var i Identity
		if err := getJSON(w.txn, keyIdentity+id, &i); err != nil {
			return err
		}
		if i.Pass == nil {
			return fmt.Errorf("%w: %s has no pass", ErrBadRequest, id)
		}
		i.Pass.Uses++
		return w.apply(Change{Kind: IdentityPut, ID: id, Identity: &i})
	})
}

// Inside is where anti-passback last saw the identity (nil = unknown).
func (s *Store) Inside(id string) (*bool, error) {
	var v *bool
	err := s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte(keyInside + id))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return item.Value(func(b []byte) error {
			in := len(b) == 1 && b[0] == '1'
			v = &in
			return nil
		})
	})
	return v, err
}

// SetInside records where anti-passback saw the identity.
func (s *Store) SetInside(id string, inside bool) error {
	return s.write(func(w *writer) error { return w.apply(Change{Kind: InsideSet, ID: id, Inside: inside}) })
}

func iterJSON[T any](txn *badger.Txn, prefix string, f func(*T)) error {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefix), PrefetchValues: true})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		var v T
		if err := it.Item().Value(func(b []byte) error { return jsonUnmarshal(b, &v) }); err != nil {
			return err
		}
		f(&v)
	}
	return nil
}

// Import stores many identities and their credentials in a few large
// transactions (one sync per thousand records), for moving a resident list
// in. Existing records with the same keys are replaced.
func (s *Store) Import(ids []Identity, creds []Credential) error {
	now := time.Now().UTC()
	for i := range ids {
		if err := ids[i].validate(); err != nil {
			return err
		}
		if ids[i].Created.IsZero() {
			ids[i].Created = now
		}
	}
	for i := range creds {
		if creds[i].Kind == policy.Card {
			card, err := ParseCard(creds[i].Key)
			if err != nil {
				return fmt.Errorf("%w: %w", ErrBadRequest, err)
			}
			creds[i].Key = card.String()
		}
		if creds[i].Created.IsZero() {
			creds[i].Created = now
		}
	}
	const chunk = 1000
	for len(ids) > 0 || len(creds) > 0 {
		ni, nc := min(len(ids), chunk), min(len(creds), chunk)
		err := s.write(func(w *writer) error {
			for _, i := range ids[:ni] {
				if err := w.apply(Change{Kind: IdentityPut, ID: i.ID, Identity: &i}); err != nil {
					return err
				}
			}
			for _, c := range creds[:nc] {
				if err := w.apply(Change{Kind: CredentialPut, ID: c.Identity, Credential: &c}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("store: import: %w", err)
		}
		ids, creds = ids[ni:], creds[nc:]
	}
	return nil
}

// NewPassCode gives a visitor an 8-digit pass code for keypads (and its QR).
// Only a hash of the code is stored; the code is returned once.
func (s *Store) NewPassCode(identity string) (string, error) {
	for range 5 {
		n, err := rand.Int(rand.Reader, big.NewInt(100_000_000))
		if err != nil {
			return "", err
		}
		code := fmt.Sprintf("%08d", n)
		err = s.AddCredential(Credential{Kind: policy.Code, Key: passKey(code), Identity: identity})
		if errors.Is(err, ErrCardInUse) {
			continue // taken by another visitor: draw again
		}
		return code, err
	}
	return "", errors.New("store: no free pass code")
}

// LookupPassCode finds the pass code credential a keypad entry is, and its
// identity.
func (s *Store) LookupPassCode(code string) (Credential, Identity, error) {
	return s.Lookup(policy.Code, passKey(code))
}

// passKey is how a pass code is stored and looked up.
func passKey(code string) string {
	h := sha256.Sum256([]byte("menwei pass\x00" + code))
	return hex.EncodeToString(h[:])
}
