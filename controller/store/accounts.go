package store

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
	"golang.org/x/crypto/argon2"
)

// Roles of accounts.
const (
	RoleAdmin = "admin" // installers and managers: everything
	RoleGuard = "guard" // gatehouse staff: watch, open doors, emergencies, visitors
	// RoleOffice is the property office (物业): residents, their cards,
	// PINs, faces, fingerprints and phones, visitors, and reading events;
	// it opens no door and changes no door mode.
	RoleOffice = "office"
)

// ErrBadLogin is the one answer to a wrong name or password.
var ErrBadLogin = errors.New("store: wrong account name or password")

// Account is a person who signs in to the API or the pages.
type Account struct {
	Name     string    `json:"name"`
	Role     string    `json:"role"`
	Password *Secret   `json:"password"`
	Created  time.Time `json:"created"`
}

// Passwords use stronger Argon2id parameters than PINs: 19 MiB, 2 passes
// (OWASP's minimum), about 50 ms on a gate box.
const (
	pwTime   = 2
	pwMemory = 19 * 1024
)

func hashPassword(pw string) *Secret {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	return &Secret{Salt: salt, Hash: argon2.IDKey([]byte(pw), salt, pwTime, pwMemory, 1, 32)}
}

func passwordMatches(s *Secret, pw string) bool {
	h := argon2.IDKey([]byte(pw), s.Salt, pwTime, pwMemory, 1, 32)
	return subtle.ConstantTimeCompare(h, s.Hash) == 1
}

// dummy makes a login for an unknown account cost the same as a real one.
var dummy = hashPassword("menwei: no such account")

const (
	keyAccount = "acct/" // acct/<name> → Account
	keySession = "sess/" // sess/<sha256 of the token> → Session
)

// PutAccount creates or replaces an account. Passwords are at least 10
// characters and stored only as a slow hash.
func (s *Store) PutAccount(name, role, password string) error {
	switch {
	case !idRE.MatchString(name):
		return fmt.Errorf("%w: account name %q", ErrBadRequest, name)
	case role != RoleAdmin && role != RoleGuard && role != RoleOffice:
		return fmt.Errorf("%w: role %q: admin, guard or office", ErrBadRequest, role)
	case len(password) < 10:
		return fmt.Errorf("%w: a password has at least 10 characters", ErrBadRequest)
	}
	a := Account{Name: name, Role: role, Password: hashPassword(password), Created: time.Now().UTC()}
	return s.write(func(w *writer) error { return w.apply(Change{Kind: AccountPut, ID: name, Account: &a}) })
}

// CheckPassword returns the account if the password is right.
func (s *Store) CheckPassword(name, password string) (Account, error) {
	var a Account
	err := s.db.View(func(txn *badger.Txn) error { return getJSON(txn, keyAccount+name, &a) })
	switch {
	case errors.Is(err, ErrNotFound):
		passwordMatches(dummy, password)
		return Account{}, ErrBadLogin
	case err != nil:
		return Account{}, err
	case !passwordMatches(a.Password, password):
		return Account{}, ErrBadLogin
	}
	return a, nil
}

// Session is a signed-in account. Only a hash of its token is stored.
type Session struct {
	Account string    `json:"account"` // the account, or the identity a device belongs to
	Role    string    `json:"role"`
	Device  string    `json:"device,omitempty"` // RoleDevice: the paired phone
	CSRF    string    `json:"csrf"`             // must accompany unsafe requests that use the cookie
	Expires time.Time `json:"expires"`
}

func tokenKey(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return []byte(keySession + hex.EncodeToString(h[:]))
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// NewSession signs an account in for ttl and returns the session token.
func (s *Store) NewSession(a Account, ttl time.Duration, now time.Time) (string, Session, error) {
	token := randomToken()
	sess := Session{Account: a.Name, Role: a.Role, CSRF: randomToken(), Expires: now.Add(ttl).UTC()}
	err := s.db.Update(func(txn *badger.Txn) error {
		b, err := jsonMarshal(sess)
		if err != nil {
			return err
		}
		return txn.SetEntry(badger.NewEntry(tokenKey(token), b).WithTTL(ttl))
	})
	return token, sess, err
}

// Session returns the session of a token, if it is valid now.
func (s *Store) Session(token string, now time.Time) (Session, error) {
	var sess Session
	if token == "" {
		return sess, ErrNotFound
	}
	err := s.db.View(func(txn *badger.Txn) error { return getJSON(txn, string(tokenKey(token)), &sess) })
	if err == nil && !now.Before(sess.Expires) {
		return Session{}, ErrNotFound
	}
	return sess, err
}

// EndSession signs a session out.
func (s *Store) EndSession(token string) error {
	return s.db.Update(func(txn *badger.Txn) error { return txn.Delete(tokenKey(token)) })
}
