package api

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"menwei/controller"
	"menwei/controller/store"
)

// Auth is what the API needs from the account and session store.
type Auth interface {
	CheckPassword(name, password string) (store.Account, error)
	NewSession(a store.Account, ttl time.Duration, now time.Time) (string, store.Session, error)
	Session(token string, now time.Time) (store.Session, error)
	EndSession(token string) error
}

const (
	sessionCookie = "menwei_session"
	sessionTTL    = 12 * time.Hour
	// Who may call a route besides the roles: anyone, or any signed-in account.
	anyone   = "*"
	signedIn = "signed-in" // an admin's or a guard's session, not a phone
)

type ctxKey int

const sessionKey ctxKey = 0

// sessionOf returns the caller's session (set by the route's guard).
func sessionOf(c echo.Context) (store.Session, bool) {
	s, ok := c.Get("session").(store.Session)
	return s, ok
}

// route registers a handler with the callers allowed to reach it: roles
// (controller.RoleAdmin, RoleGuard), signedIn, or anyone. Every route
// declares this; there is no default.
func (s *Server) route(method, path string, h echo.HandlerFunc, who ...string) {
	s.routes = append(s.routes, routeInfo{method, path, who})
	s.echo.Add(method, path, func(c echo.Context) error {
		if len(who) == 1 && who[0] == anyone {
			return h(c)
		}
		sess, viaCookie, err := s.authenticate(c)
		if err != nil {
			return fail(http.StatusUnauthorized, "unauthenticated", "sign in first (POST /api/v1/login)")
		}
		allowed := false
		for _, w := range who {
			// signedIn is an account's session; a phone's device credential
			// is not one, and reaches only the routes naming RoleDevice.
			allowed = allowed || (w == signedIn && sess.Role != store.RoleDevice) || w == sess.Role
		}
		if !allowed {
			return fail(http.StatusForbidden, "forbidden", "your account may not do this")
		}
		if viaCookie && method != http.MethodGet && method != http.MethodHead &&
			c.Request().Header.Get("X-CSRF-Token") != sess.CSRF {
			return fail(http.StatusForbidden, "csrf", "missing or wrong X-CSRF-Token header")
		}
		c.Set("session", sess)
		c.SetRequest(c.Request().WithContext(context.WithValue(c.Request().Context(), sessionKey, sess)))
		return h(c)
	})
}

type routeInfo struct {
	Method, Path string
	Who          []string
}

// authenticate finds the session of a bearer token or of the cookie.
func (s *Server) authenticate(c echo.Context) (store.Session, bool, error) {
	if s.o.Auth == nil {
		return store.Session{}, false, errors.New("no auth configured")
	}
	now := s.now()
	if h := c.Request().Header.Get("Authorization"); strings.HasPrefix(h, "Device ") && s.o.Phones != nil {
		d, err := s.o.Phones.DeviceByToken(strings.TrimPrefix(h, "Device "))
		if err != nil {
			return store.Session{}, false, err
		}
		return store.Session{Account: d.Identity, Role: store.RoleDevice, Device: d.ID}, false, nil
	}
	if h := c.Request().Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		sess, err := s.o.Auth.Session(strings.TrimPrefix(h, "Bearer "), now)
		return sess, false, err
	}
	ck, err := c.Cookie(sessionCookie)
	if err != nil {
		return store.Session{}, false, err
	}
	sess, err := s.o.Auth.Session(ck.Value, now)
	return sess, true, err
}

// LoginRequest is the body of POST /api/v1/login.
type LoginRequest struct {
	Name     string `json:"name"`
	Password string `json:"password"`
}

// LoginReply tells the client who it is, the CSRF token for browser posts,
// and the bearer token for API clients.
type LoginReply struct {
	Account string    `json:"account"`
	Role    string    `json:"role"`
	CSRF    string    `json:"csrf"`
	Token   string    `json:"token"`
	Expires time.Time `json:"expires"`
}

func (s *Server) login(c echo.Context) error {
	ip, _, _ := net.SplitHostPort(c.Request().RemoteAddr)
	if !s.limits.allow("ip/"+ip, s.now()) {
		return fail(http.StatusTooManyRequests, "rate_limited", "too many sign-in attempts from this address; wait a minute")
	}
	var req LoginRequest
	if err := decodeStrict(c, &req); err != nil {
		return err
	}
	// Wrong passwords lock the account for this address only, so a stranger
	// guessing from elsewhere cannot lock the owner out; each address is
	// also held to perMinute attempts above, whatever the account.
	lockKey := "acct/" + ip + "/" + req.Name
	if !s.limits.open(lockKey, s.now()) {
		return fail(http.StatusTooManyRequests, "locked", "too many wrong passwords for this account from this address; wait 15 minutes")
	}
	a, err := s.o.Auth.CheckPassword(req.Name, req.Password)
	if errors.Is(err, store.ErrBadLogin) {
		s.limits.failed(lockKey, s.now())
		s.audit(c, controller.Event{Kind: "auth.login_failed", Detail: "account " + req.Name + " from " + ip})
		return fail(http.StatusUnauthorized, "bad_login", "wrong account name or password")
	}
	if errors.Is(err, store.ErrAccountDisabled) {
		s.audit(c, controller.Event{Kind: "auth.login_failed", Name: req.Name, Detail: "account " + req.Name + " is disabled, from " + ip})
		return fail(http.StatusForbidden, "account_disabled", "this account is disabled: ask an admin")
	}
	if err != nil {
		return err
	}
	token, sess, err := s.o.Auth.NewSession(a, sessionTTL, s.now())
	if err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true,
		Secure: s.o.SecureCookies, SameSite: http.SameSiteStrictMode, Expires: sess.Expires})
	s.audit(c, controller.Event{Kind: "auth.login", Account: a.Name, Detail: "account " + a.Name + " (" + a.Role + ") from " + ip})
	return c.JSON(http.StatusOK, LoginReply{Account: a.Name, Role: a.Role, CSRF: sess.CSRF, Token: token, Expires: sess.Expires})
}

func (s *Server) logout(c echo.Context) error {
	if err := s.o.Auth.EndSession(sessionToken(c)); err != nil {
		return err
	}
	s.audit(c, controller.Event{Kind: "auth.logout", Detail: "signed out"})
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.o.SecureCookies, SameSite: http.SameSiteStrictMode})
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) whoami(c echo.Context) error {
	sess, _ := sessionOf(c)
	return c.JSON(http.StatusOK, map[string]any{"account": sess.Account, "role": sess.Role, "expires": sess.Expires, "timezone": s.o.Timezone})
}

// audit records an admin or security action, if an event log is attached,
// with the account that did it (Account, and "by" in the detail).
func (s *Server) audit(c echo.Context, e controller.Event) {
	if s.o.Audit == nil {
		return
	}
	if sess, ok := sessionOf(c); ok && e.Detail != "" {
		e.Detail += " by " + sess.Account
	}
	if sess, ok := sessionOf(c); ok && e.Account == "" && sess.Role != store.RoleDevice {
		e.Account = sess.Account
	}
	if _, err := s.o.Audit.Append(c.Request().Context(), e); err != nil {
		s.o.Log.Error("audit event not recorded", "kind", e.Kind, "err", err)
	}
}

// limiter counts attempts: at most perMinute per key, and lockout after
// lockAfter failures within lockFor. It lives in memory only: a restart of
// menweid forgets every count and lockout (the rate limits start afresh).
// Keys come from callers (addresses, account names), so the maps are swept
// of stale keys when they grow, keeping memory bounded.
type limiter struct {
	mu        sync.Mutex
	perMinute int
	lockAfter int
	lockFor   time.Duration
	hits      map[string][]time.Time
	fails     map[string][]time.Time
}

func newLimiter() *limiter {
	return &limiter{perMinute: 10, lockAfter: 10, lockFor: 15 * time.Minute, hits: map[string][]time.Time{}, fails: map[string][]time.Time{}}
}

func recent(ts []time.Time, now time.Time, within time.Duration) []time.Time {
	out := ts[:0]
	for _, t := range ts {
		if now.Sub(t) < within {
			out = append(out, t)
		}
	}
	return out
}

// maxKeys is how many keys the limiter holds before it sweeps stale ones.
const maxKeys = 10000

// sweep drops keys with nothing recent. Called with l.mu held.
func (l *limiter) sweep(now time.Time) {
	if len(l.hits)+len(l.fails) < maxKeys {
		return
	}
	for k, ts := range l.hits {
		if len(recent(ts, now, time.Minute)) == 0 {
			delete(l.hits, k)
		}
	}
	for k, ts := range l.fails {
		if len(recent(ts, now, l.lockFor)) == 0 {
			delete(l.fails, k)
		}
	}
}

func (l *limiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	h := recent(l.hits[key], now, time.Minute)
	if len(h) >= l.perMinute {
		l.hits[key] = h
		return false
	}
	l.hits[key] = append(h, now)
	return true
}

func (l *limiter) open(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fails[key] = recent(l.fails[key], now, l.lockFor)
	return len(l.fails[key]) < l.lockAfter
}

func (l *limiter) failed(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	l.fails[key] = append(l.fails[key], now)
}
