package store

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller/eventlog"
	"menwei/controller/policy"
)

// A backup taken while events are being appended holds every event
// acknowledged before it began, restores into a new directory with the
// store's key, and the restored chain verifies; an incremental backup taken
// after it brings the rest, deletions included.
func TestBackupUnderLoadAndRestore(t *testing.T) {
	key := testKey(t, 3)
	s, err := Open(Options{Dir: t.TempDir(), Key: key})
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.PutIdentity(Identity{ID: "r1", Kind: policy.Resident, Name: secretName, Unit: secretUnit}))
	require.NoError(t, s.PutIdentity(Identity{ID: "moving-out", Kind: policy.Resident, Name: "Qian"}))

	ctx, stop := context.WithCancel(t.Context())
	var acked atomic.Uint64 // the highest seq acknowledged so far
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				e, err := s.Append(context.Background(), eventlog.Event{Kind: "access.granted", Door: fmt.Sprint("d", w), Detail: fmt.Sprint(i)})
				if err != nil {
					t.Error(err)
					return
				}
				for {
					cur := acked.Load()
					if e.Seq <= cur || acked.CompareAndSwap(cur, e.Seq) {
						break
					}
				}
			}
		}()
	}
	for acked.Load() < 200 {
		_, err := s.Append(t.Context(), eventlog.Event{Kind: "system.start"}) // let the writers get going
		require.NoError(t, err)
	}
	before := acked.Load()
	var full bytes.Buffer
	h, err := s.Backup(&full, 0)
	require.NoError(t, err)
	assert.True(t, h.Encrypted)
	assert.Zero(t, h.Since)
	assert.NotContains(t, full.String(), secretName, "the backup of an encrypted store is encrypted")
	assert.NotContains(t, full.String(), "access.granted")

	// More events, and a resident removed, then an incremental backup.
	require.NoError(t, s.DeleteIdentity("moving-out"))
	for acked.Load() < before+200 {
		_, err := s.Append(t.Context(), eventlog.Event{Kind: "system.start"})
		require.NoError(t, err)
	}
	stop()
	wg.Wait()
	var inc bytes.Buffer
	hi, err := s.Backup(&inc, h.Until)
	require.NoError(t, err)
	assert.Equal(t, h.Until, hi.Since)

	// The full backup alone: every event acknowledged before it began.
	dir := filepath.Join(t.TempDir(), "restored")
	rep, err := Restore(dir, key, []io.Reader{bytes.NewReader(full.Bytes())}, nil)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, rep.Events, before, "every event acknowledged before the backup")
	r, err := Open(Options{Dir: dir, Key: key, MustExist: true})
	require.NoError(t, err)
	for _, seq := range []uint64{1, before} {
		evs, err := r.Events(eventlog.Query{After: seq - 1, Limit: 1})
		require.NoError(t, err)
		require.Len(t, evs, 1)
		assert.Equal(t, seq, evs[0].Seq)
	}
	_, err = r.Identity("moving-out")
	assert.NoError(t, err, "still there in the full backup")
	require.NoError(t, r.Close())

	// Full and incremental: everything, the removal included.
	dir2 := filepath.Join(t.TempDir(), "restored")
	rep, err = Restore(dir2, key, []io.Reader{bytes.NewReader(full.Bytes()), bytes.NewReader(inc.Bytes())}, nil)
	require.NoError(t, err)
	_, head := s.Stats()
	assert.Equal(t, head, rep.Events)
	r, err = Open(Options{Dir: dir2, Key: key, MustExist: true})
	require.NoError(t, err)
	defer r.Close()
	_, err = r.Identity("moving-out")
	assert.ErrorIs(t, err, ErrNotFound, "the removal came with the incremental backup")
	p, err := r.Identity("r1")
	require.NoError(t, err)
	assert.Equal(t, secretName, p.Name)
	n, err := r.VerifyChain()
	require.NoError(t, err)
	assert.Equal(t, head, n)
}

// A restore refuses, changing nothing, a directory that is not empty, the
// wrong key, a file that is not a backup, an incremental first and a gap.
func TestRestoreRefuses(t *testing.T) {
	key := testKey(t, 4)
	s, err := Open(Options{Dir: t.TempDir(), Key: key})
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.PutIdentity(Identity{ID: "r1", Kind: policy.Resident, Name: "Li"}))
	var full, inc bytes.Buffer
	h, err := s.Backup(&full, 0)
	require.NoError(t, err)
	require.NoError(t, s.PutIdentity(Identity{ID: "r2", Kind: policy.Resident, Name: "Wang"}))
	_, err = s.Backup(&inc, h.Until+1000)
	require.NoError(t, err)

	busy := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(busy, "keep"), []byte("x"), 0o600))
	tests := []struct {
		name  string
		dir   string
		key   []byte
		files [][]byte
		want  string
	}{
		{"not empty", busy, key, [][]byte{full.Bytes()}, "the directory is not empty"},
		{"wrong key", "", testKey(t, 5), [][]byte{full.Bytes()}, "is this the key of the store"},
		{"not a backup", "", key, [][]byte{[]byte("PK\x03\x04 a zip")}, "not a menwei backup"},
		{"incremental first", "", key, [][]byte{inc.Bytes()}, "restore starts from a full backup"},
		{"gap", "", key, [][]byte{full.Bytes(), inc.Bytes()}, "a backup in between is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tt.dir
			if dir == "" {
				dir = filepath.Join(t.TempDir(), "new")
			}
			var files []io.Reader
			for _, f := range tt.files {
				files = append(files, bytes.NewReader(f))
			}
			_, err := Restore(dir, tt.key, files, nil)
			assert.ErrorContains(t, err, tt.want)
			entries, _ := os.ReadDir(dir)
			if tt.dir == "" {
				assert.Empty(t, entries, "a failed restore leaves the directory empty")
			} else {
				assert.Len(t, entries, 1, "and touches nothing in one it refused")
			}
		})
	}
}

// A plaintext store's backup is not encrypted (there is no key to derive
// one from); it restores into an encrypted store all the same.
func TestPlaintextBackupRestoresEncrypted(t *testing.T) {
	s, err := Open(Options{Dir: t.TempDir()})
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.PutIdentity(Identity{ID: "r1", Kind: policy.Resident, Name: secretName}))
	var b bytes.Buffer
	h, err := s.Backup(&b, 0)
	require.NoError(t, err)
	assert.False(t, h.Encrypted)
	dir := filepath.Join(t.TempDir(), "new")
	key := testKey(t, 6)
	_, err = Restore(dir, key, []io.Reader{&b}, nil)
	require.NoError(t, err)
	enc, exists, err := Encrypted(dir)
	require.NoError(t, err)
	assert.True(t, exists && enc, "restored encrypted")
}
