package controller

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller/config"
	"menwei/controller/store"
)

// A gate of an estate keeps every event its uploader has not yet brought
// to the office, whatever the retention says; a standalone gate prunes as
// before.
func TestRetentionKeepsWhatIsNotAtTheOffice(t *testing.T) {
	for _, joined := range []bool{false, true} {
		t.Run(fmt.Sprint("joined=", joined), func(t *testing.T) {
			yaml := engineConfig + "events: { max_count: 10 }\n"
			if joined {
				yaml += "estate: { role: gate, gate: g1, office_url: \"tls://office:7422\", tls: { ca: ca.pem }, nkey_seed_file: g1.nk }\n"
			}
			cfg, err := config.Parse([]byte(yaml), t.TempDir())
			require.NoError(t, err)
			s, err := store.Open(store.Options{InMemory: true})
			require.NoError(t, err)
			defer s.Close()
			c, err := New(Options{Config: cfg, Store: s})
			require.NoError(t, err)
			defer c.Close()
			for i := range 100 {
				_, err := s.Append(context.Background(), Event{Kind: KindSystemStart, Detail: fmt.Sprint(i)})
				require.NoError(t, err)
			}
			require.NoError(t, s.SetUploadCursor(store.CursorEvents, 30))
			c.pruneEvents(context.Background())
			first, last := s.Stats()
			assert.Equal(t, uint64(100), last)
			if joined {
				assert.Equal(t, uint64(31), first, "the first not uploaded is kept")
			} else {
				assert.Equal(t, uint64(91), first)
			}
		})
	}
}
