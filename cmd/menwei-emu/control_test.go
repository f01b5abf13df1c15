package main

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
