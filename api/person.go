package api

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"menwei/controller"
	"menwei/controller/store"
)

// A person's rights over their data (PIPL art. 45, 47): a copy of
// everything held about them, and erasure.

// PersonExport is the person.json of an export.
type PersonExport struct {
	Exported time.Time          `json:"exported"`
	By       string             `json:"exported_by"`
	Person   store.PersonRecord `json:"person"`
	Note     string             `json:"note"`
}

// exportPerson answers with a zip: person.json (the record, credentials
// masked, consents, phones, every event about them) and crops/<seq>.jpg
// (the face crops of their events). It is an audit event with the account.
func (s *Server) exportPerson(c echo.Context) error {
	p, err := s.o.People.Person(c.Param("id"))
	if err != nil {
		return storeError(err)
	}
	sess, _ := sessionOf(c)
	doc := PersonExport{Exported: s.now().UTC(), By: sess.Account, Person: p,
		Note: "Card numbers are masked; PINs, device tokens, face descriptors and fingerprint templates are not copied (only whether they exist)."}
	s.audit(c, controller.Event{Kind: controller.KindPersonExported, Identity: p.Identity.ID,
		Detail: fmt.Sprintf("%d events, %d crops", len(p.Events), len(p.Crops))})
	w := c.Response()
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="menwei-person-%s.zip"`, p.Identity.ID))
	w.Header().Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	z := zip.NewWriter(w)
	f, err := z.Create("person.json")
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	for _, seq := range p.Crops {
		img, err := s.o.Events.Crop(seq)
		if err != nil {
			continue // pruned meanwhile
		}
		f, err := z.Create(fmt.Sprintf("crops/%d.jpg", seq))
		if err != nil {
			return err
		}
		if _, err := f.Write(img); err != nil {
			return err
		}
	}
	return z.Close()
}

// EraseRequest confirms an erasure: it cannot be undone, so the request
// repeats the person's id.
type EraseRequest struct {
	Confirm string `json:"confirm"`
}

// erasePerson removes everything held about a person and pseudonymises
// their events (the erasure is recorded in the event log with the account).
func (s *Server) erasePerson(c echo.Context) error {
	var req EraseRequest
	if err := decodeStrict(c, &req); err != nil {
		return err
	}
	if req.Confirm != c.Param("id") {
		return fail(http.StatusBadRequest, "confirm_mismatch", "confirm: repeat the person's id to confirm the erasure (it cannot be undone)")
	}
	sess, _ := sessionOf(c)
	r, err := s.o.Enroller.ErasePerson(c.Request().Context(), c.Param("id"), sess.Account)
	if err != nil {
		return storeError(err)
	}
	return c.JSON(http.StatusOK, r)
}
