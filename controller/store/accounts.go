package store

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

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

// Roles are the roles an account may have, in the order the pages offer
// them: a new role is one more line here (and its rights in api.New).
var Roles = []string{
	RoleAdmin,
	RoleGuard,
	RoleOffice,
}

// Errors of the account rules.
var (
	// ErrBadLogin is the one answer to a wrong name or password.
	ErrBadLogin = errors.New("store: wrong account name or password")
	// ErrAccountDisabled answers a right password of a disabled account.
	ErrAccountDisabled = errors.New("store: the account is disabled")
	// ErrAccountExists refuses to add an account whose name is taken.
	ErrAccountExists = errors.New("store: an account with this name exists")
	// ErrLastAdmin refuses to disable the last enabled admin account:
	// nobody could manage accounts any more.
	ErrLastAdmin = errors.New("store: the last enabled admin account cannot be disabled")
)

// Account is a person who signs in to the API or the pages.
type Account struct {
	Name     string    `json:"name"`
	Role     string    `json:"role"`
	Password *Secret   `json:"password"`
	Created  time.Time `json:"created"`
	// Disabled accounts cannot sign in, and their sessions end at once.
	Disabled bool `json:"disabled,omitempty"`
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

// MinPassword is the shortest password, in characters (not bytes: a
// Chinese character counts once).
const MinPassword = 10

// checkAccount checks an account's name, role and password against the
// rules, naming the field that breaks one.
func checkAccount(name, role, password string) error {
	switch {
	case !idRE.MatchString(name):
		return fmt.Errorf("%w: name: 1-64 letters, digits, '.', '_' or '-'", ErrBadRequest)
	case !slices.Contains(Roles, role):
		return fmt.Errorf("%w: role %q: one of %s", ErrBadRequest, role, strings.Join(Roles, ", "))
	}
	return checkPassword(password)
}

func checkPassword(password string) error {
	if utf8.RuneCountInString(password) < MinPassword {
		return fmt.Errorf("%w: password: at least %d characters", ErrBadRequest, MinPassword)
	}
	return nil
}

// PutAccount creates or replaces an account (enabled). Passwords are at
// least MinPassword characters and stored only as a slow hash.
func (s *Store) PutAccount(name, role, password string) error {
	if err := checkAccount(name, role, password); err != nil {
		return err
	}
	a := Account{Name: name, Role: role, Password: hashPassword(password), Created: time.Now().UTC()}
	return s.write(func(w *writer) error {
		if err := endSessions(w.txn, name, ""); err != nil {
			return err
		}
		return w.apply(Change{Kind: AccountPut, ID: name, Account: &a})
	})
}

// AddAccount creates an account; a name already taken is ErrAccountExists
// and changes nothing.
func (s *Store) AddAccount(name, role, password string) (Account, error) {
	if err := checkAccount(name, role, password); err != nil {
		return Account{}, err
	}
	a := Account{Name: name, Role: role, Password: hashPassword(password), Created: time.Now().UTC()}
	err := s.write(func(w *writer) error {
		if _, err := w.txn.Get([]byte(keyAccount + name)); err == nil {
			return fmt.Errorf("%w: %q", ErrAccountExists, name)
		} else if !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		return w.apply(Change{Kind: AccountPut, ID: name, Account: &a})
	})
	return a, err
}

// Account returns one account.
func (s *Store) Account(name string) (Account, error) {
	var a Account
	err := s.db.View(func(txn *badger.Txn) error { return getJSON(txn, keyAccount+name, &a) })
	return a, err
}

// Accounts lists every account, ordered by name.
func (s *Store) Accounts() ([]Account, error) {
	var out []Account
	err := s.db.View(func(txn *badger.Txn) error {
		return iterJSON(txn, keyAccount, func(a *Account) { out = append(out, *a) })
	})
	return out, err
}

// SetAccountDisabled disables (on) or enables an account. Disabling ends
// every session of the account in the same transaction, and is refused
// with ErrLastAdmin for the last enabled admin account (checked in that
// transaction too, so two admins disabling each other at once cannot both
// succeed: the write path is serialised).
func (s *Store) SetAccountDisabled(name string, on bool) (Account, error) {
	var a Account
	err := s.write(func(w *writer) error {
		if err := getJSON(w.txn, keyAccount+name, &a); err != nil {
			return err
		}
		if on && a.Role == RoleAdmin && !a.Disabled {
			others := 0
			if err := iterJSON(w.txn, keyAccount, func(o *Account) {
				if o.Name != name && o.Role == RoleAdmin && !o.Disabled {
					others++
				}
			}); err != nil {
				return err
			}
			if others == 0 {
				return ErrLastAdmin
			}
		}
		a.Disabled = on
		if on {
			if err := endSessions(w.txn, name, ""); err != nil {
				return err
			}
		}
		return w.apply(Change{Kind: AccountPut, ID: name, Account: &a})
	})
	return a, err
}

// SetPassword gives an account a new password (an admin's reset) and ends
// every session of the account: whoever knew the old password is out.
func (s *Store) SetPassword(name, password string) error {
	if err := checkPassword(password); err != nil {
		return err
	}
	h := hashPassword(password)
	return s.write(func(w *writer) error {
		var a Account
		if err := getJSON(w.txn, keyAccount+name, &a); err != nil {
			return err
		}
		a.Password = h
		if err := endSessions(w.txn, name, ""); err != nil {
			return err
		}
		return w.apply(Change{Kind: AccountPut, ID: name, Account: &a})
	})
}

// ChangePassword is an account changing its own password: old must be
// right (else ErrBadLogin, nothing changes). Every other session of the
// account ends; keep (the token of the session asking) stays signed in.
func (s *Store) ChangePassword(name, old, password, keep string) error {
	if err := checkPassword(password); err != nil {
		return err
	}
	h := hashPassword(password)
	return s.write(func(w *writer) error {
		var a Account
		if err := getJSON(w.txn, keyAccount+name, &a); err != nil {
			return err
		}
		if !passwordMatches(a.Password, old) {
			return ErrBadLogin
		}
		a.Password = h
		if err := endSessions(w.txn, name, keep); err != nil {
			return err
		}
		return w.apply(Change{Kind: AccountPut, ID: name, Account: &a})
	})
}

// endSessions deletes the sessions of an account but the one of token
// keep ("" = every one). Sessions live at most a day, so there are few.
func endSessions(txn *badger.Txn, account, keep string) error {
	var keys [][]byte
	it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(keySession), PrefetchValues: true})
	for it.Rewind(); it.Valid(); it.Next() {
		var sess Session
		if err := it.Item().Value(func(b []byte) error { return jsonUnmarshal(b, &sess) }); err != nil {
			it.Close()
			return err
		}
		if sess.Account == account && sess.Role != RoleDevice {
			keys = append(keys, it.Item().KeyCopy(nil))
		}
	}
	it.Close()
	var kept []byte
	if keep != "" {
		kept = tokenKey(keep)
	}
	for _, k := range keys {
		if kept != nil && string(k) == string(kept) {
			continue
		}
		if err := txn.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// CheckPassword returns the account if the password is right. A disabled
// account with the right password is ErrAccountDisabled (said only to
// someone who knows the password).
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
	case a.Disabled:
		return Account{}, ErrAccountDisabled
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

// Session returns the session of a token, if it is valid now: not
// expired, and its account still exists and is enabled (disabling an
// account deletes its sessions too; this check also closes the window of
// a sign-in that raced the disabling). The role is the account's current
// one.
func (s *Store) Session(token string, now time.Time) (Session, error) {
	var sess Session
	if token == "" {
		return sess, ErrNotFound
	}
	err := s.db.View(func(txn *badger.Txn) error {
		if err := getJSON(txn, string(tokenKey(token)), &sess); err != nil {
			return err
		}
		var a Account
		if err := getJSON(txn, keyAccount+sess.Account, &a); err != nil {
			return err
		}
		if a.Disabled {
			return fmt.Errorf("%w: session of a disabled account", ErrNotFound)
		}
		sess.Role = a.Role
		return nil
	})
	if err != nil {
		return Session{}, err
	}
	if !now.Before(sess.Expires) {
		return Session{}, ErrNotFound
	}
	return sess, nil
}

// EndSession signs a session out.
func (s *Store) EndSession(token string) error {
	return s.db.Update(func(txn *badger.Txn) error { return txn.Delete(tokenKey(token)) })
}
