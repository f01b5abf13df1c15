package store

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"

	"menwei/controller/policy"
)

// RoleDevice is the role of a resident's paired phone.
const RoleDevice = "device"

// Phones are paired with a short-lived code a guard or admin issues for a
// resident; the phone exchanges it once for a device credential (random,
// stored hashed, revocable).
const (
	keyPairing = "pair/" // pair/<sha256 of code> → Pairing (with a TTL)
	keyDevice  = "dev/"  // dev/<device id> → Device
	pairingTTL = 10 * time.Minute
)

// ErrBadCode is the one answer to a wrong, used or expired pairing code.
var ErrBadCode = errors.New("store: pairing code not valid")

// Pairing is an issued, not yet used code.
type Pairing struct {
	Identity string    `json:"identity"`
	IssuedBy string    `json:"issued_by"`
	Expires  time.Time `json:"expires"`
}

// Device is a paired phone.
type Device struct {
	ID       string    `json:"id"`
	Identity string    `json:"identity"`
	Name     string    `json:"name"`
	Secret   []byte    `json:"secret"` // SHA-256 of the device token (the token is 256 random bits)
	Revoked  bool      `json:"revoked,omitempty"`
	Created  time.Time `json:"created"`
	// LastUsed is when the phone last asked to open a door or invited a
	// guest (zero: never).
	LastUsed time.Time `json:"last_used,omitzero"`
}

func sum(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

var codeEnc = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewPairingCode issues a code for a resident: 8 characters (40 bits),
// valid for 10 minutes, usable once.
func (s *Store) NewPairingCode(identity, issuedBy string, now time.Time) (string, time.Time, error) {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	code := codeEnc.EncodeToString(b)
	code = code[:4] + "-" + code[4:]
	p := Pairing{Identity: identity, IssuedBy: issuedBy, Expires: now.Add(pairingTTL).UTC()}
	err := s.db.Update(func(txn *badger.Txn) error {
		var i Identity
		if err := getJSON(txn, keyIdentity+identity, &i); err != nil {
			return fmt.Errorf("identity %q: %w", identity, err)
		}
		b, err := jsonMarshal(p)
		if err != nil {
			return err
		}
		return txn.SetEntry(badger.NewEntry([]byte(keyPairing+hex.EncodeToString(sum(normCode(code)))), b).WithTTL(pairingTTL))
	})
	return code, p.Expires, err
}

func normCode(c string) string {
	return strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(c), "-", ""))
}

// Pair exchanges a code for a device credential. The code is gone after
// one use. It returns the device and its token ("<id>.<secret>").
func (s *Store) Pair(code, name string, now time.Time) (Device, string, error) {
	k := []byte(keyPairing + hex.EncodeToString(sum(normCode(code))))
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	idb := make([]byte, 8)
	_, _ = rand.Read(idb)
	d := Device{ID: "dev-" + hex.EncodeToString(idb), Name: name, Created: now.UTC()}
	token := d.ID + "." + hex.EncodeToString(secret)
	d.Secret = sum(token)
	err := s.write(func(w *writer) error {
		var p Pairing
		if err := getJSON(w.txn, string(k), &p); err != nil {
			return ErrBadCode
		}
		if !now.Before(p.Expires) {
			return ErrBadCode
		}
		// A pairing code is not a Change (see Change): it goes with the
		// transaction that uses it.
		if err := w.txn.Delete(k); err != nil {
			return err
		}
		d.Identity = p.Identity
		if err := w.apply(Change{Kind: DevicePut, ID: d.Identity, Device: &d}); err != nil {
			return err
		}
		return w.apply(Change{Kind: CredentialPut, ID: p.Identity, Credential: &Credential{Kind: policy.Phone, Key: d.ID, Identity: p.Identity, Created: now.UTC()}})
	})
	if err != nil {
		return Device{}, "", err
	}
	return d, token, nil
}

// DeviceByToken checks a device token and returns its device.
func (s *Store) DeviceByToken(token string) (Device, error) {
	id, _, ok := strings.Cut(token, ".")
	if !ok {
		return Device{}, ErrNotFound
	}
	var d Device
	err := s.db.View(func(txn *badger.Txn) error { return getJSON(txn, keyDevice+id, &d) })
	if err != nil || d.Revoked || subtle.ConstantTimeCompare(sum(token), d.Secret) != 1 {
		return Device{}, ErrNotFound
	}
	s.lastUse(&d)
	return d, nil
}

// RevokeDevice stops a phone from opening anything.
func (s *Store) RevokeDevice(id string) error {
	return s.write(func(w *writer) error {
		var d Device
		if err := getJSON(w.txn, keyDevice+id, &d); err != nil {
			return err
		}
		d.Revoked = true
		if err := w.apply(Change{Kind: DevicePut, ID: d.Identity, Device: &d}); err != nil {
			return err
		}
		return w.apply(Change{Kind: CredentialRemoved, ID: d.Identity, Credential: &Credential{Kind: policy.Phone, Key: id, Identity: d.Identity}})
	})
}

// Devices lists the phones paired for an identity, revoked ones included,
// oldest first.
func (s *Store) Devices(identity string) ([]Device, error) {
	var out []Device
	err := s.db.View(func(txn *badger.Txn) error {
		return iterJSON(txn, keyDevice, func(d *Device) {
			if d.Identity == identity {
				out = append(out, *d)
			}
		})
	})
	for i := range out {
		s.lastUse(&out[i])
	}
	slices.SortFunc(out, func(a, b Device) int { return a.Created.Compare(b.Created) })
	return out, err
}

// touchEvery is how often a phone's last use is written. A use less than
// touchEvery (by the callers' clock) after the last write is kept in memory
// and written with the first use after it, or at Close; Devices and
// DeviceByToken report it meanwhile, so what they return is the same as if
// every use were written at once. A phone-open so costs no synced write of
// its own besides its decision event (the access record, synced before the
// answer); a crash can lose only last uses not yet written (when a phone
// was last used, as the console shows it), never an event.
const touchEvery = time.Second

// touches are the last uses not yet written (see touchEvery).
type touches struct {
	mu      sync.Mutex
	pending map[string]time.Time // device id → its last use, not yet written
	written time.Time            // the callers' time of the last write
}

// lastUse gives d the last use recorded for it and not yet written.
func (s *Store) lastUse(d *Device) {
	s.touch.mu.Lock()
	defer s.touch.mu.Unlock()
	if at, ok := s.touch.pending[d.ID]; ok && !d.Revoked {
		d.LastUsed = at
	}
}

// TouchDevice records that a phone was used at a time (its LastUsed). A
// revoked device is not touched. Uses are written at most every touchEvery
// (see there); an unknown device is ErrNotFound at once.
func (s *Store) TouchDevice(id string, at time.Time) error {
	var d Device
	if err := s.db.View(func(txn *badger.Txn) error { return getJSON(txn, keyDevice+id, &d) }); err != nil {
		return err
	}
	if d.Revoked {
		return nil
	}
	at = at.UTC()
	s.touch.mu.Lock()
	if s.touch.pending == nil {
		s.touch.pending = map[string]time.Time{}
	}
	s.touch.pending[id] = at
	var batch map[string]time.Time
	if since := at.Sub(s.touch.written); since >= touchEvery || since < 0 {
		batch, s.touch.written = maps.Clone(s.touch.pending), at
	}
	s.touch.mu.Unlock()
	return s.writeTouches(batch)
}

// writeTouches writes the last uses in batch in one transaction and then
// forgets those not touched again meanwhile. A device revoked or removed
// since is left as it is.
func (s *Store) writeTouches(batch map[string]time.Time) error {
	if len(batch) == 0 {
		return nil
	}
	err := s.write(func(w *writer) error {
		for id, at := range batch {
			var d Device
			err := getJSON(w.txn, keyDevice+id, &d)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if d.Revoked {
				continue
			}
			d.LastUsed = at
			if err := w.apply(Change{Kind: DevicePut, ID: d.Identity, Device: &d}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.touch.mu.Lock()
	defer s.touch.mu.Unlock()
	for id, at := range batch {
		if s.touch.pending[id].Equal(at) {
			delete(s.touch.pending, id)
		}
	}
	return nil
}

// flushTouches writes every last use not yet written (Close calls it).
func (s *Store) flushTouches() error {
	s.touch.mu.Lock()
	batch := maps.Clone(s.touch.pending)
	s.touch.mu.Unlock()
	return s.writeTouches(batch)
}
