package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"golang.org/x/text/encoding/simplifiedchinese"

	"menwei/controller"
	"menwei/controller/policy"
	"menwei/controller/store"
	"menwei/devices/cardnum"
)

// Bulk import of residents from a CSV file as a property office exports it
// from a spreadsheet: UTF-8 (with or without a BOM) or GB18030 (what Excel
// on a Chinese Windows writes), the first line naming the columns in
// Chinese or English. A dry run lists every row's problems and writes
// nothing; the import itself writes only a file without problems.

// ImportProblem is one thing wrong with a row: the column and a code
// (required, invalid, duplicate, exists, in_use).
type ImportProblem struct {
	Field string `json:"field"`
	Code  string `json:"code"`
}

// ImportRow is one line of the file as understood, with its problems.
type ImportRow struct {
	Line     int             `json:"line"`
	ID       string          `json:"id"`
	Name     string          `json:"name"`
	Unit     string          `json:"unit,omitempty"`
	Phone    string          `json:"phone,omitempty"`
	Groups   []string        `json:"groups,omitempty"`
	Card     string          `json:"card,omitempty"` // masked hint
	Problems []ImportProblem `json:"problems,omitempty"`

	card store.Card // zero: no card
}

// ImportReply is the answer to POST /api/v1/residents/import.
type ImportReply struct {
	Encoding string      `json:"encoding"` // utf-8 or gb18030
	Rows     []ImportRow `json:"rows"`
	Problems int         `json:"problems"` // rows with a problem
	Written  int         `json:"written"`  // residents written (0 in a dry run)
	DryRun   bool        `json:"dry_run"`
}

// importColumns maps the header names a spreadsheet may use to fields.
var importColumns = map[string]string{
	"id": "id", "编号": "id", "住户编号": "id",
	"name": "name", "姓名": "name", "住户姓名": "name", "业主姓名": "name",
	"building": "building", "楼号": "building", "楼栋": "building", "栋": "building",
	"unit": "unit", "flat": "unit", "房号": "unit", "房间号": "unit", "门牌号": "unit",
	"phone": "phone", "电话": "phone", "手机": "phone", "手机号": "phone", "联系电话": "phone",
	"groups": "groups", "分组": "groups",
	"card": "card", "卡号": "card", "卡面号": "card", "门卡": "card",
}

// ErrImportFile is a file that cannot be read as a residents' CSV at all.
var ErrImportFile = errors.New("file")

// decodeCSVText returns the file as UTF-8 text and the encoding it was in.
func decodeCSVText(b []byte) (string, string, error) {
	b = bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))
	if utf8.Valid(b) {
		return string(b), "utf-8", nil
	}
	// The decoder replaces what GB18030 cannot read with U+FFFD: such a
	// file is neither.
	u, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
	if err != nil || !utf8.Valid(u) || bytes.ContainsRune(u, utf8.RuneError) {
		return "", "", fmt.Errorf("%w: neither UTF-8 nor GB18030 text", ErrImportFile)
	}
	return string(u), "gb18030", nil
}

var hexCard = regexp.MustCompile(`^(0[xX])?[0-9A-Fa-f]*[A-Fa-f][0-9A-Fa-f]*$`)

// importCard reads a card as a spreadsheet holds it: "188,24910" (W26),
// ten digits (printed on the card), hex with a letter, or a key form
// ("h10301:1:1234", "1:1234"); bits is the estate's readers' frame.
func importCard(s string, bits int) (store.Card, error) {
	switch {
	case strings.ContainsAny(s, ",，"):
		return store.ParseCardAs(s, cardnum.W26, bits)
	case len(s) == 10 && strings.Trim(s, "0123456789") == "":
		return store.ParseCardAs(s, cardnum.Dec10, bits)
	case hexCard.MatchString(s) && len(strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")) <= 8:
		return store.ParseCardAs(s, cardnum.Hex, bits)
	}
	return store.ParseCard(s)
}

// parseResidentsCSV reads the file into rows and checks each row on its
// own and against the others (ids and cards used twice); checks against
// the store come after.
func parseResidentsCSV(text string, bits int) ([]ImportRow, error) {
	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%w: no header line", ErrImportFile)
	}
	col := map[string]int{}
	for i, h := range header {
		if f, ok := importColumns[strings.ToLower(strings.TrimSpace(h))]; ok {
			if _, dup := col[f]; !dup {
				col[f] = i
			}
		}
	}
	if _, ok := col["name"]; !ok {
		return nil, fmt.Errorf("%w: the first line must name the columns, with 姓名 (name) among them", ErrImportFile)
	}
	var rows []ImportRow
	ids, cards := map[string]int{}, map[string]int{}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%w: line %d: %v", ErrImportFile, pe.Line, pe.Err)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrImportFile, err)
		}
		line, _ := r.FieldPos(0) // a record read without error has field 0
		get := func(f string) string {
			if i, ok := col[f]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if strings.Join(rec, "") == "" {
			continue // an empty line of the spreadsheet
		}
		row := ImportRow{Line: line, ID: get("id"), Name: get("name"), Unit: get("unit"), Phone: get("phone")}
		if b := get("building"); b != "" {
			row.Unit = b + "-" + row.Unit
		}
		for _, g := range strings.FieldsFunc(get("groups"), func(r rune) bool { return r == ',' || r == '，' || r == ';' || r == ' ' }) {
			row.Groups = append(row.Groups, g)
		}
		bad := func(field, code string) { row.Problems = append(row.Problems, ImportProblem{field, code}) }
		for _, f := range []string{"id", "name", "building", "unit", "phone", "groups", "card"} {
			if textError(f, get(f)) != nil {
				bad(f, "invalid")
			}
		}
		if row.ID == "" && row.Name != "" {
			// The same flat and name give the same id, in a dry run and
			// in the import.
			h := sha256.Sum256([]byte(row.Unit + "\x00" + row.Name))
			row.ID = "r-" + hex.EncodeToString(h[:5])
		}
		if row.Name == "" {
			bad("name", "required")
		} else if err := store.CheckIdentity(store.Identity{ID: row.ID, Kind: policy.Resident, Name: row.Name, Unit: row.Unit, Phone: row.Phone, Groups: row.Groups}); err != nil {
			bad(identityField(err), "invalid")
		} else if _, dup := ids[row.ID]; dup {
			if get("id") != "" {
				bad("id", "duplicate")
			} else {
				bad("name", "duplicate") // the same name in the same flat twice
			}
		} else {
			ids[row.ID] = row.Line
		}
		if c := get("card"); c != "" {
			card, err := importCard(c, bits)
			switch {
			case err != nil:
				bad("card", "invalid")
			case cards[card.String()] != 0:
				bad("card", "duplicate")
			default:
				cards[card.String()] = row.Line
				row.card, row.Card = card, card.Hint()
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

var fieldRE = regexp.MustCompile(`^(?:identity "[^"]*": )?([a-z]+)`)

// identityField is the field a store refusal of an identity names.
func identityField(err error) string {
	m := fieldRE.FindStringSubmatch(strings.TrimPrefix(err.Error(), store.ErrBadRequest.Error()+": "))
	if m == nil {
		return "name"
	}
	if m[1] == "group" {
		return "groups"
	}
	return m[1]
}

// importResidents answers a dry run (?dry_run=true) with every row and its
// problems, or imports a file without problems (a file with any refuses
// to import, and nothing is written). Multipart field "file", up to 2 MiB;
// ?bits= is the frame the readers send for the cards (26 or 34).
func (s *Server) importResidents(c echo.Context) error {
	dry := c.QueryParam("dry_run") == "true" || c.QueryParam("dry_run") == "1"
	bits := 26
	if v := c.QueryParam("bits"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || (n != 26 && n != 34) {
			return fail(http.StatusBadRequest, "bad_query", "bits: 26 or 34")
		}
		bits = n
	}
	c.Request().Body = http.MaxBytesReader(c.Response(), c.Request().Body, 3<<20)
	fh, err := c.FormFile("file")
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return fail(http.StatusRequestEntityTooLarge, "too_large", "file over 2 MiB")
	case err != nil:
		return fail(http.StatusBadRequest, "bad_request", "file: a multipart form with a CSV file field named file")
	case fh.Size > 2<<20:
		return fail(http.StatusRequestEntityTooLarge, "too_large", "file over 2 MiB")
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	raw, err := io.ReadAll(io.LimitReader(f, 2<<20))
	f.Close()
	if err != nil {
		return err
	}
	text, enc, err := decodeCSVText(raw)
	if err != nil {
		return fail(http.StatusBadRequest, "bad_file", err.Error())
	}
	rows, err := parseResidentsCSV(text, bits)
	if err != nil {
		return fail(http.StatusBadRequest, "bad_file", err.Error())
	}
	reply := ImportReply{Encoding: enc, Rows: rows, DryRun: dry}
	for i := range reply.Rows {
		row := &reply.Rows[i]
		if _, err := s.o.People.Identity(row.ID); err == nil {
			row.Problems = append(row.Problems, ImportProblem{"id", "exists"})
		}
		if row.card != (store.Card{}) {
			if _, _, err := s.o.People.Lookup(policy.Card, row.card.String()); err == nil {
				row.Problems = append(row.Problems, ImportProblem{"card", "in_use"})
			}
		}
		if len(row.Problems) > 0 {
			reply.Problems++
		}
	}
	if dry {
		return c.JSON(http.StatusOK, reply)
	}
	if reply.Problems > 0 {
		return fail(http.StatusUnprocessableEntity, "import_problems", fmt.Sprintf("%d of %d rows have problems (see a dry run); nothing was written", reply.Problems, len(rows)))
	}
	for _, row := range reply.Rows {
		var creds []store.Credential
		if row.card != (store.Card{}) {
			creds = []store.Credential{{Kind: policy.Card, Key: row.card.String()}}
		}
		id := store.Identity{ID: row.ID, Kind: policy.Resident, Name: row.Name, Unit: row.Unit, Phone: row.Phone, Groups: row.Groups}
		if err := s.o.People.PutIdentityWith(id, creds); err != nil {
			s.audit(c, controller.Event{Kind: "residents.imported", Detail: fmt.Sprintf("%d of %d residents imported from a CSV file, then line %d failed", reply.Written, len(rows), row.Line)})
			return fmt.Errorf("import stopped at line %d after %d residents: %w", row.Line, reply.Written, err)
		}
		reply.Written++
	}
	s.audit(c, controller.Event{Kind: "residents.imported", Detail: fmt.Sprintf("%d residents imported from a CSV file (%s)", reply.Written, enc)})
	return c.JSON(http.StatusCreated, reply)
}
