package main

import (
	"bytes"
	"encoding/json"
	"image"
	"image/jpeg"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/devices/faceterm"
	"menwei/devices/osdp"
	"menwei/firmware-mocks/facepd"
	"menwei/firmware-mocks/osdppd"
)

func newTestControl(t *testing.T) (http.Handler, *osdppd.PD, string) {
	pd, err := osdppd.New(osdppd.Config{Addr: 7, Install: true})
	require.NoError(t, err)
	dir := t.TempDir()
	return newControl([]*osdppd.PD{pd}, nil, []pdSpec{{Addr: 7, Install: true}}, keyStore{dir: dir}, slog.New(slog.DiscardHandler)).routes(), pd, dir
}

func TestControlRequests(t *testing.T) {
	h, pd, dir := newTestControl(t)
	key := "ffeeddccbbaa99887766554433221100"
	for _, tc := range []struct {
		method, path, body string
		code               int
	}{
		{"GET", "/pd/7", "", http.StatusOK},
		{"GET", "/pd/0x07", "", http.StatusOK},
		{"GET", "/pd", "", http.StatusOK},
		{"GET", "/pd/8", "", http.StatusNotFound},
		{"GET", "/pd/x", "", http.StatusNotFound},
		{"POST", "/pd/7/card", `{"facility":1,"card":2}`, http.StatusNoContent},
		{"POST", "/pd/7/card", `{"bits":40,"hex":"0102030405","format":0}`, http.StatusNoContent},
		{"POST", "/pd/7/card", `{"bits":26,"hex":"zz"}`, http.StatusBadRequest},
		{"POST", "/pd/7/card", `{"bits":26,"hex":"01"}`, http.StatusBadRequest},
		{"POST", "/pd/7/card", `{"facility":1}`, http.StatusBadRequest},
		{"POST", "/pd/7/card", `{"pin":1}`, http.StatusBadRequest},
		{"POST", "/pd/7/card", `not json`, http.StatusBadRequest},
		{"POST", "/pd/7/keys", `{"keys":"1234#"}`, http.StatusNoContent},
		{"POST", "/pd/7/input", `{"n":3,"active":true}`, http.StatusNoContent},
		{"POST", "/pd/7/input", `{"n":4,"active":true}`, http.StatusBadRequest},
		{"POST", "/pd/7/tamper", `{"on":true}`, http.StatusNoContent},
		{"POST", "/pd/7/power", `{"fail":true}`, http.StatusNoContent},
		{"POST", "/pd/7/mode", `{"mode":"garbage"}`, http.StatusNoContent},
		{"POST", "/pd/7/mode", `{"mode":"loud"}`, http.StatusBadRequest},
		{"POST", "/pd/7/busy", `{"n":2}`, http.StatusNoContent},
		{"POST", "/pd/7/key", `{"scbk":"0102"}`, http.StatusBadRequest},
		{"POST", "/pd/7/key", `{"scbk":"` + key + `"}`, http.StatusNoContent},
		{"DELETE", "/pd/7", "", http.StatusMethodNotAllowed},
	} {
		req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		assert.Equal(t, tc.code, rec.Code, "%s %s %s: %s", tc.method, tc.path, tc.body, rec.Body)
	}
	st := pd.State()
	assert.Equal(t, osdppd.Garbage, st.Mode)
	assert.True(t, st.Tamper)
	assert.True(t, st.PowerFail)
	assert.Equal(t, []bool{false, false, false, true}, st.Inputs)
	assert.Equal(t, 6, st.Pending, "two cards, keys, input, tamper, power")
	b, err := os.ReadFile(filepath.Join(dir, "pd-7.scbk"))
	require.NoError(t, err)
	assert.Equal(t, key+"\n", string(b))

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/pd/7", nil))
	var s pdState
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &s))
	assert.Equal(t, "garbage", s.Mode)
	assert.True(t, s.HasKey)
	assert.NotContains(t, rec.Body.String(), key)
}

// The liveness given with one face is that face's only: the next face shown
// without one is live, so the spoof example does not refuse every later face.
func TestFaceLivenessPerPresentation(t *testing.T) {
	term, err := facepd.New(facepd.Config{Mode: facepd.JPEGMode, PD: osdppd.Config{Addr: 9}})
	require.NoError(t, err)
	h := newControl([]*osdppd.PD{term.PD}, map[byte]*facepd.Terminal{9: term}, []pdSpec{{Addr: 9, Face: "jpeg"}},
		keyStore{}, slog.New(slog.DiscardHandler)).routes()
	var photo bytes.Buffer
	require.NoError(t, jpeg.Encode(&photo, image.NewGray(image.Rect(0, 0, 64, 64)), nil))

	show := func(query string) byte {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", "/pd/9/face"+query, bytes.NewReader(photo.Bytes())))
		require.Equal(t, http.StatusNoContent, rec.Code, rec.Body.String())
		return firstCaptureLiveness(t, term.PD)
	}
	assert.Equal(t, byte(95), show(""))
	assert.Equal(t, byte(20), show("?liveness=20"), "the spoof")
	assert.Equal(t, byte(95), show(""), "the next face is live again")
	assert.Equal(t, byte(255), show("?liveness=255"))
	assert.Equal(t, byte(95), show(""))
}

// firstCaptureLiveness polls pd until it has nothing to report and returns
// the liveness of the first capture fragment it sent.
func firstCaptureLiveness(t *testing.T, pd *osdppd.PD) byte {
	t.Helper()
	live := -1
	for n := 0; ; n++ {
		seq := byte(0) // the first POLL restarts the sequence
		if n > 0 {
			seq = byte((n-1)%3 + 1)
		}
		f := osdp.Frame{Addr: pd.Addr(), Seq: seq, CRC: true, Code: osdp.CmdPOLL}
		raw, err := osdp.AppendEncode(nil, f)
		require.NoError(t, err)
		in, _, err := osdp.Decode(raw)
		require.NoError(t, err)
		out, _, err := osdp.Decode(pd.Handle(in))
		require.NoError(t, err)
		if out.Code == osdp.ReplyACK {
			require.GreaterOrEqual(t, live, 0, "no capture sent")
			return byte(live)
		}
		require.Equal(t, byte(osdp.ReplyMFGREP), out.Code)
		m, err := osdp.ParseReply(out.Code, out.Data)
		require.NoError(t, err)
		fm, err := faceterm.Decode(m.(osdp.MfgRep).Data)
		require.NoError(t, err)
		if fr, ok := fm.(faceterm.Fragment); ok && live < 0 {
			live = int(fr.Liveness)
		}
	}
}
