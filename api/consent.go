package api

import (
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"menwei/controller"
	"menwei/controller/policy"
	"menwei/controller/store"
)

// ConsentTexts are the versions of the consent texts a person may be shown
// before a biometric is enrolled, per biometric; the pages' catalog has the
// text of each (consent.<version>), in zh-CN and English. A new wording is
// a new version, added here and in the catalog, so each record says which
// words the person agreed to.
var ConsentTexts = map[policy.Factor][]string{
	policy.Face:   {"face-v1"},
	policy.Finger: {"finger-v1"},
}

// ConsentRequest records a person's consent to a biometric.
type ConsentRequest struct {
	Biometric policy.Factor `json:"biometric"` // face or finger
	Text      string        `json:"text"`      // the version of the text shown (ConsentTexts)
}

// consentOf checks a consent about to be recorded for identity, taken by
// the signed-in account; field names the request's field for the error.
func (s *Server) consentOf(c echo.Context, identity string, b policy.Factor, text, field string) (store.Consent, error) {
	versions, ok := ConsentTexts[b]
	if !ok {
		return store.Consent{}, fail(http.StatusBadRequest, "bad_request", "biometric: face or finger")
	}
	if !slices.Contains(versions, text) {
		return store.Consent{}, fail(http.StatusBadRequest, "bad_consent_text", field+": the version of the consent text the person was shown, one of "+quoteList(versions))
	}
	sess, _ := sessionOf(c)
	return store.Consent{Identity: identity, Biometric: b, Given: s.now().UTC(), Text: text, Account: sess.Account}, nil
}

func quoteList(v []string) string {
	out := ""
	for i, s := range v {
		if i > 0 {
			out += ", "
		}
		out += `"` + s + `"`
	}
	return out
}

// giveConsent records the consent (a face or fingerprint enrolment then
// may follow), as an audit event with the account that took it.
func (s *Server) giveConsent(c echo.Context, cs store.Consent) error {
	if err := s.o.People.GiveConsent(cs); err != nil {
		return storeError(err)
	}
	s.audit(c, controller.Event{Kind: controller.KindConsentGiven, Identity: cs.Identity,
		Detail: string(cs.Biometric) + " consent, text " + cs.Text})
	return nil
}

func (s *Server) postConsent(c echo.Context) error {
	var req ConsentRequest
	if err := decodeStrict(c, &req); err != nil {
		return err
	}
	cs, err := s.consentOf(c, c.Param("id"), req.Biometric, req.Text, "text")
	if err != nil {
		return err
	}
	if err := s.giveConsent(c, cs); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, cs)
}

func (s *Server) listConsents(c echo.Context) error {
	if _, err := s.o.People.Identity(c.Param("id")); err != nil {
		return storeError(err)
	}
	cs, err := s.o.People.Consents(c.Param("id"))
	if err != nil {
		return err
	}
	if cs == nil {
		cs = []store.Consent{}
	}
	return c.JSON(http.StatusOK, map[string]any{"consents": cs})
}

// withdrawConsent deletes the biometric everywhere (store, face index,
// fingerprint modules) and records the withdrawal.
func (s *Server) withdrawConsent(c echo.Context) error {
	b := policy.Factor(c.Param("biometric"))
	if _, ok := ConsentTexts[b]; !ok {
		return fail(http.StatusBadRequest, "bad_request", "biometric: face or finger")
	}
	sess, _ := sessionOf(c)
	cs, n, err := s.o.Enroller.WithdrawConsent(c.Request().Context(), c.Param("id"), b, sess.Account)
	if err != nil {
		return storeError(err)
	}
	s.audit(c, controller.Event{Kind: controller.KindConsentWithdrawn, Identity: cs.Identity,
		Detail: string(b) + " consent withdrawn; biometric deleted"})
	return c.JSON(http.StatusOK, map[string]any{"consent": cs, "deleted": n})
}
