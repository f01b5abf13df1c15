package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller"
)

func newTestServer(t *testing.T) (*httptest.Server, *controller.Store) {
	t.Helper()
	store, err := controller.OpenStore(controller.StoreOptions{InMemory: true})
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	srv := httptest.NewServer(New(Options{Events: store, PDs: func() []controller.PDStatus {
		return []controller.PDStatus{{Name: "gate-reader", Bus: "gate", Addr: 101, Online: true, Secure: true}}
	}}).Handler())
	t.Cleanup(srv.Close)
	return srv, store
}

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type")[:16])
	require.NoError(t, json.NewDecoder(resp.Body).Decode(v))
	return resp.StatusCode
}

func TestEventsEndpoint(t *testing.T) {
	srv, store := newTestServer(t)
	ctx := context.Background()
	for i := range 5 {
		kind := controller.KindGranted
		if i%2 == 1 {
			kind = controller.KindDenied
		}
		_, err := store.Append(ctx, controller.Event{Kind: kind, Door: "main-gate"})
		require.NoError(t, err)
	}

	var page EventsPage
	require.Equal(t, 200, getJSON(t, srv.URL+"/api/v1/events", &page))
	assert.Len(t, page.Events, 5)
	assert.Equal(t, uint64(5), page.Next)

	require.Equal(t, 200, getJSON(t, srv.URL+"/api/v1/events?after=2&limit=2", &page))
	require.Len(t, page.Events, 2)
	assert.Equal(t, uint64(3), page.Events[0].Seq)
	assert.Equal(t, uint64(4), page.Next)

	require.Equal(t, 200, getJSON(t, srv.URL+"/api/v1/events?kind=access.denied", &page))
	assert.Len(t, page.Events, 2)

	require.Equal(t, 200, getJSON(t, srv.URL+"/api/v1/events?after=99", &page))
	assert.NotNil(t, page.Events)
	assert.Empty(t, page.Events)
}

func TestBadQueriesGetOneErrorShape(t *testing.T) {
	srv, _ := newTestServer(t)
	for _, q := range []string{"after=-1", "after=x", "limit=0", "limit=5000", "since=yesterday", "until=2026-13-01"} {
		var body struct {
			Error APIError `json:"error"`
		}
		status := getJSON(t, srv.URL+"/api/v1/events?"+q, &body)
		assert.Equal(t, http.StatusBadRequest, status, q)
		assert.Equal(t, "bad_query", body.Error.Code, q)
		assert.NotEmpty(t, body.Error.Message, q)
	}
	var body struct {
		Error APIError `json:"error"`
	}
	assert.Equal(t, http.StatusNotFound, getJSON(t, srv.URL+"/api/v1/nope", &body))
	assert.Equal(t, "not_found", body.Error.Code)
}

func TestHealthAndPDs(t *testing.T) {
	srv, _ := newTestServer(t)
	var h map[string]string
	assert.Equal(t, 200, getJSON(t, srv.URL+"/healthz", &h))
	assert.Equal(t, "ok", h["status"])
	var st struct {
		PDs []controller.PDStatus `json:"pds"`
	}
	assert.Equal(t, 200, getJSON(t, srv.URL+"/api/v1/pds", &st))
	require.Len(t, st.PDs, 1)
	assert.True(t, st.PDs[0].Secure)
}
