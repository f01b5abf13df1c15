package api

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"menwei/controller"
	"menwei/controller/store"
)

// Accounts is what the API needs to manage the console's accounts. The
// rules that depend on the stored accounts (the last enabled admin, a name
// taken) are the store's, checked inside its write; the rule that depends
// on the caller (an admin does not disable themselves) is the API's.
type Accounts interface {
	Accounts() ([]store.Account, error)
	AddAccount(name, role, password string) (store.Account, error)
	SetAccountDisabled(name string, on bool) (store.Account, error)
	SetPassword(name, password string) error
	ChangePassword(name, old, password, keep string) error
}

// AccountView is an account as the API shows it: never the password hash.
type AccountView struct {
	Name     string    `json:"name"`
	Role     string    `json:"role"`
	Disabled bool      `json:"disabled"`
	Created  time.Time `json:"created"`
}

func accountView(a store.Account) AccountView {
	return AccountView{Name: a.Name, Role: a.Role, Disabled: a.Disabled, Created: a.Created}
}

// AccountsReply is the body of GET /api/v1/accounts: the accounts, and the
// roles an account may be given (store.Roles), in the order to offer them.
type AccountsReply struct {
	Accounts []AccountView `json:"accounts"`
	Roles    []string      `json:"roles"`
}

// AccountRequest adds an account.
type AccountRequest struct {
	Name     string `json:"name"`
	Role     string `json:"role"`
	Password string `json:"password"`
}

// PasswordRequest is an admin's reset of another account's password.
type PasswordRequest struct {
	Password string `json:"password"`
}

// OwnPasswordRequest is an account changing its own password.
type OwnPasswordRequest struct {
	Old string `json:"old"`
	New string `json:"new"`
}

// accountError turns the store's account errors into answers; every one
// changes nothing.
func accountError(err error) error {
	switch {
	case errors.Is(err, store.ErrAccountExists):
		return fail(http.StatusConflict, "account_exists", "name: an account with this name exists")
	case errors.Is(err, store.ErrLastAdmin):
		return fail(http.StatusConflict, "last_admin", "this is the last enabled admin account: enable or add another admin first")
	case errors.Is(err, store.ErrNotFound):
		return fail(http.StatusNotFound, "not_found", "no such account")
	case errors.Is(err, store.ErrBadRequest):
		// The store names the field first ("password: at least 10
		// characters"); each field has its own code for the pages.
		msg := strings.TrimPrefix(err.Error(), store.ErrBadRequest.Error()+": ")
		code := "bad_request"
		for _, f := range []string{"name", "role", "password"} {
			if strings.HasPrefix(msg, f+":") || strings.HasPrefix(msg, f+" ") {
				code = "bad_" + f
			}
		}
		return fail(http.StatusBadRequest, code, msg)
	}
	return err
}

func (s *Server) listAccounts(c echo.Context) error {
	as, err := s.o.Accounts.Accounts()
	if err != nil {
		return err
	}
	out := AccountsReply{Accounts: []AccountView{}, Roles: store.Roles}
	for _, a := range as {
		out.Accounts = append(out.Accounts, accountView(a))
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) addAccount(c echo.Context) error {
	var req AccountRequest
	if err := decodeStrict(c, &req); err != nil {
		return err
	}
	a, err := s.o.Accounts.AddAccount(req.Name, req.Role, req.Password)
	if err != nil {
		return accountError(err)
	}
	s.audit(c, controller.Event{Kind: "account.added", Name: a.Name, Detail: "account " + a.Name + " (" + a.Role + ") added"})
	return c.JSON(http.StatusCreated, accountView(a))
}

// setDisabled disables (on) or enables the account in the path. An admin
// may not disable their own account: they would be locked out mid-task,
// and another admin can do it if it is meant.
func (s *Server) setDisabled(on bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		sess, _ := sessionOf(c)
		name := c.Param("name")
		if on && name == sess.Account {
			return fail(http.StatusConflict, "self_disable", "you cannot disable your own account; another admin can")
		}
		a, err := s.o.Accounts.SetAccountDisabled(name, on)
		if err != nil {
			return accountError(err)
		}
		kind, what := "account.enabled", " enabled"
		if on {
			kind, what = "account.disabled", " disabled, its sessions ended"
		}
		s.audit(c, controller.Event{Kind: kind, Name: a.Name, Detail: "account " + a.Name + what})
		return c.JSON(http.StatusOK, accountView(a))
	}
}

// resetPassword is an admin giving an account a new password (the person
// forgot theirs); the account's sessions end.
func (s *Server) resetPassword(c echo.Context) error {
	var req PasswordRequest
	if err := decodeStrict(c, &req); err != nil {
		return err
	}
	name := c.Param("name")
	if err := s.o.Accounts.SetPassword(name, req.Password); err != nil {
		return accountError(err)
	}
	s.audit(c, controller.Event{Kind: "account.password_reset", Name: name, Detail: "password of account " + name + " reset, its sessions ended"})
	return c.NoContent(http.StatusNoContent)
}

// changeOwnPassword changes the caller's password: the old one must be
// right (403 wrong_password, not 401: the caller is still signed in). The
// caller's other sessions end; this one stays.
func (s *Server) changeOwnPassword(c echo.Context) error {
	sess, _ := sessionOf(c)
	var req OwnPasswordRequest
	if err := decodeStrict(c, &req); err != nil {
		return err
	}
	ip, _, _ := net.SplitHostPort(c.Request().RemoteAddr)
	lockKey := "acct/" + ip + "/" + sess.Account
	if !s.limits.open(lockKey, s.now()) {
		return fail(http.StatusTooManyRequests, "locked", "too many wrong passwords for this account from this address; wait 15 minutes")
	}
	err := s.o.Accounts.ChangePassword(sess.Account, req.Old, req.New, sessionToken(c))
	switch {
	case errors.Is(err, store.ErrBadLogin):
		s.limits.failed(lockKey, s.now())
		return fail(http.StatusForbidden, "wrong_password", "old: the current password is wrong; nothing was changed")
	case err != nil:
		return accountError(err)
	}
	s.audit(c, controller.Event{Kind: "account.password_changed", Name: sess.Account, Detail: "own password changed, other sessions ended"})
	return c.NoContent(http.StatusNoContent)
}

// sessionToken is the token the request signed in with, as authenticate
// finds it: the bearer token, else the cookie.
func sessionToken(c echo.Context) string {
	if h := c.Request().Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		return strings.TrimPrefix(h, "Bearer ")
	}
	if ck, err := c.Cookie(sessionCookie); err == nil {
		return ck.Value
	}
	return ""
}
