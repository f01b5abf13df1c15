package estate

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"menwei/controller/fingers"
	"menwei/controller/policy"
	"menwei/controller/store"
)

// The directory's names on the wire (docs/estate.md, Directory down).
const (
	// StreamDirectory is the office's last-value stream of every gate's
	// directory slice; its sequence is the directory's revision.
	StreamDirectory = "MENWEI_DIR"
	dirSubjects     = "menwei.dir.>"
	dirPrefix       = "menwei.dir."
	// digestHeader is the SHA-256 (hex) of a message's body, so that the
	// office compares what a gate's slice holds with its store reading the
	// headers only.
	digestHeader = "Menwei-Digest"
)

// What a directory subject is about: menwei.dir.<gate>.<what>.<token>.
const (
	dirPerson   = "p"
	dirSchedule = "s"
	dirHoliday  = "h"
)

// DirectoryFilter is the subjects of gate's slice: what its consumer
// filters on and all its permissions allow it to read.
func DirectoryFilter(gate string) string { return dirPrefix + gate + ".>" }

// dirSubject is the subject of one record of gate's slice. The id is hex
// encoded: an id may hold '.', which is a subject's separator.
func dirSubject(gate, what, id string) string {
	return dirPrefix + gate + "." + what + "." + hex.EncodeToString([]byte(id))
}

// parseDirSubject reads what a subject of gate's slice is about.
func parseDirSubject(gate, subj string) (what, id string, err error) {
	rest, ok := strings.CutPrefix(subj, dirPrefix+gate+".")
	what, tok, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 || strings.Contains(tok, ".") {
		return "", "", fmt.Errorf("subject %q is not %s%s.<kind>.<token>", subj, dirPrefix, gate)
	}
	b, err := hex.DecodeString(tok)
	if err != nil || len(b) == 0 {
		return "", "", fmt.Errorf("subject %q: the token is not hex", subj)
	}
	return what, string(b), nil
}

// GateSlice is a gate and the groups whose people it receives.
type GateSlice struct {
	Name string
	// Groups: the gate receives every identity with one of these groups,
	// and the visitors of those it receives. Empty = everyone.
	Groups []string
}

// holds reports whether the gate's slice includes i; host is i's host
// (visitors; nil when unknown or none).
func (g GateSlice) holds(i store.Identity, host *store.Identity) bool {
	if len(g.Groups) == 0 {
		return true
	}
	match := func(groups []string) bool {
		return slices.ContainsFunc(groups, func(x string) bool { return slices.Contains(g.Groups, x) })
	}
	if match(i.Groups) {
		return true
	}
	return i.Kind == policy.Visitor && host != nil && match(host.Groups)
}

// wirePerson is a person's record as a message: a face's vector as its
// 512 stored bytes (base64 in JSON), the rest as the store has it (a PIN
// as its hash, a template's bytes as the module made them).
type wirePerson struct {
	Identity    store.Identity     `json:"identity"`
	Credentials []store.Credential `json:"credentials,omitempty"`
	Consents    []store.Consent    `json:"consents,omitempty"`
	Faces       []wireFace         `json:"faces,omitempty"`
	Templates   []fingers.Template `json:"templates,omitempty"`
}

type wireFace struct {
	ID     string `json:"id"`
	Vector []byte `json:"vector"`
}

// dirMessage is the body of a directory message; an empty body is a
// tombstone (the record is gone from this gate's slice).
type dirMessage struct {
	Person   *wirePerson     `json:"person,omitempty"`
	Schedule *store.Schedule `json:"schedule,omitempty"`
	Holiday  *string         `json:"holiday,omitempty"` // its name
}

func encodePerson(p *store.DirectoryPerson) ([]byte, error) {
	w := &wirePerson{Identity: p.Identity, Credentials: p.Credentials, Consents: p.Consents, Templates: p.Templates}
	for _, f := range p.Faces {
		b := make([]byte, 0, 512)
		for _, x := range f.Vector {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
		}
		w.Faces = append(w.Faces, wireFace{ID: f.ID, Vector: b})
	}
	return json.Marshal(dirMessage{Person: w})
}

// decodeEntry turns a message of gate's slice into the store's entry.
func decodeEntry(gate, subj string, data []byte) (store.DirectoryEntry, error) {
	what, id, err := parseDirSubject(gate, subj)
	if err != nil {
		return store.DirectoryEntry{}, err
	}
	var m dirMessage
	if len(data) > 0 {
		if err := json.Unmarshal(data, &m); err != nil {
			return store.DirectoryEntry{}, fmt.Errorf("%s %s: not a directory record: %w", what, id, err)
		}
	}
	switch what {
	case dirPerson:
		if m.Person == nil {
			return store.DirectoryEntry{PersonID: id}, nil
		}
		if m.Person.Identity.ID != id {
			return store.DirectoryEntry{}, fmt.Errorf("person %s: the record is of %q", id, m.Person.Identity.ID)
		}
		return store.DirectoryEntry{Person: decodePerson(m.Person)}, nil
	case dirSchedule:
		if m.Schedule == nil || m.Schedule.ID != id {
			return store.DirectoryEntry{}, fmt.Errorf("schedule %s: no schedule of that id in the record", id)
		}
		return store.DirectoryEntry{Schedule: m.Schedule}, nil
	case dirHoliday:
		if m.Holiday == nil {
			return store.DirectoryEntry{Holiday: id, HolidayGone: true}, nil
		}
		return store.DirectoryEntry{Holiday: id, HolidayName: *m.Holiday}, nil
	}
	return store.DirectoryEntry{}, fmt.Errorf("subject %q: unknown kind %q", subj, what)
}

func decodePerson(w *wirePerson) *store.DirectoryPerson {
	p := &store.DirectoryPerson{Identity: w.Identity, Credentials: w.Credentials, Consents: w.Consents, Templates: w.Templates}
	for _, f := range w.Faces {
		if len(f.Vector) != 512 {
			continue // not a descriptor: never indexed
		}
		r := store.FaceRecord{Identity: w.Identity.ID, ID: f.ID}
		for i := range r.Vector {
			r.Vector[i] = math.Float32frombits(binary.LittleEndian.Uint32(f.Vector[4*i:]))
		}
		p.Faces = append(p.Faces, r)
	}
	return p
}

// digest is what the digest header holds for a body.
func digest(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

// Holds reports whether g's slice includes i, a visitor's host looked up
// in people (the office's records by id).
func Holds(g GateSlice, i store.Identity, people map[string]*store.DirectoryPerson) bool {
	var host *store.Identity
	if h := people[i.Host]; h != nil && i.Kind == policy.Visitor {
		host = &h.Identity
	}
	return g.holds(i, host)
}
