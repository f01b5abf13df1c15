package osdp

import (
	"bufio"
	"encoding/hex"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// vector is one frame from testdata/osdp-reference-frames.txt with the
// annotation lines that follow it.
type vector struct {
	section int
	fromCP  bool
	name    string // e.g. "POLL", from the capture's heading line
	raw     []byte
	notes   []string
}

var (
	sectionRE = regexp.MustCompile(`^# (\d)\. `)
	headRE    = regexp.MustCompile(`(CP->PD|PD->CP) (\S+)`)
	inlineRE  = regexp.MustCompile(`^\s+(CP->PD|PD->CP) ((?:[0-9a-f]{2} ?)+)`)
)

func loadVectors(t testing.TB) []vector {
	t.Helper()
	f, err := os.Open("testdata/osdp-reference-frames.txt")
	require.NoError(t, err)
	defer f.Close()
	var (
		out     []vector
		section int
		fromCP  bool
		name    string
	)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if m := sectionRE.FindStringSubmatch(line); m != nil {
			section = int(m[1][0] - '0')
			continue
		}
		if strings.HasPrefix(line, "# t=") {
			m := headRE.FindStringSubmatch(line)
			require.NotNil(t, m, line)
			fromCP, name = m[1] == "CP->PD", m[2]
			continue
		}
		if strings.HasPrefix(line, "#   ") && len(out) > 0 {
			last := &out[len(out)-1]
			last.notes = append(last.notes, strings.TrimPrefix(line, "#   "))
			continue
		}
		if m := inlineRE.FindStringSubmatch(line); m != nil {
			out = append(out, vector{section: section, fromCP: m[1] == "CP->PD", raw: unhex(t, m[2])})
			continue
		}
		if strings.HasPrefix(line, "ff 53") {
			out = append(out, vector{section: section, fromCP: fromCP, name: name, raw: unhex(t, line)})
		}
	}
	require.NoError(t, sc.Err())
	require.Greater(t, len(out), 100, "vector file parsed too few frames")
	return out
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	require.NoError(t, err, s)
	return b
}

// note returns the value after "key=" in a vector's annotations.
func (v vector) note(key string) string {
	for _, n := range v.notes {
		if i := strings.Index(n, key+"="); i >= 0 {
			rest := n[i+len(key)+1:]
			if key == "decrypted" {
				return strings.ReplaceAll(rest, " ", "")
			}
			if j := strings.IndexByte(rest, ' '); j >= 0 {
				rest = rest[:j]
			}
			return rest
		}
	}
	return ""
}

func (v vector) hasNote(s string) bool {
	for _, n := range v.notes {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}
