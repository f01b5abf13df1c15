package controller

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller/config"
	"menwei/controller/policy"
	"menwei/controller/store"
)

const snapConfig = `
buses:
  - name: b
    device: /dev/null
    pds: [{ name: gate-r, address: 1 }]
doors:
  - name: gate
    readers: [{ pd: gate-r }]
    lock: { pd: gate-r, output: 0 }
`

// snapRig is a store on disk with faces, and controllers made on it with
// a face index snapshot file beside it.
type snapRig struct {
	t    *testing.T
	dir  string
	path string
	st   *store.Store
	log  *bytes.Buffer
}

func newSnapRig(t *testing.T, faces int) *snapRig {
	dir := t.TempDir()
	r := &snapRig{t: t, dir: dir, path: filepath.Join(dir, "faceindex.snap")}
	r.open()
	var ids []store.Identity
	var consents []store.Consent
	var fs []store.FaceRecord
	for i := range faces {
		id := fmt.Sprintf("r%04d", i)
		ids = append(ids, store.Identity{ID: id, Kind: policy.Resident, Name: "Resident"})
		consents = append(consents, store.Consent{Identity: id, Biometric: policy.Face, Given: time.Now(), Text: "face-v1", Account: "t"})
		fs = append(fs, store.FaceRecord{Identity: id, ID: "f0", Vector: vectorOf(i)})
	}
	require.NoError(t, r.st.Import(ids, nil))
	require.NoError(t, r.st.ImportConsents(consents))
	require.NoError(t, r.st.ImportFaces(fs))
	return r
}

// vectorOf is face i's descriptor: random, far from every other's.
func vectorOf(i int) [128]float32 {
	r := rand.New(rand.NewPCG(uint64(i), 99))
	var v [128]float32
	for k := range v {
		v[k] = float32(r.NormFloat64() * 0.09)
	}
	return v
}

func (r *snapRig) open() {
	st, err := store.Open(store.Options{Dir: filepath.Join(r.dir, "store"), Key: benchKey})
	require.NoError(r.t, err)
	r.st = st
	r.t.Cleanup(func() { st.Close() })
}

func (r *snapRig) restart() {
	require.NoError(r.t, r.st.Close())
	r.open()
}

// controller makes a controller on the store and says where its faces
// came from.
func (r *snapRig) controller() (*Controller, string) {
	r.t.Helper()
	cfg, err := config.Parse([]byte(snapConfig), r.t.TempDir())
	require.NoError(r.t, err)
	idx, err := NewFaceIndex(config.Face{Threshold: 0.5, Margin: 0.08})
	require.NoError(r.t, err)
	r.log = new(bytes.Buffer)
	c, err := New(Options{Config: cfg, Store: r.st, Faces: idx, FaceSnapshot: r.path, Log: slog.New(slog.NewTextHandler(r.log, nil))})
	require.NoError(r.t, err)
	r.t.Cleanup(c.Close)
	from := "store"
	if bytes.Contains(r.log.Bytes(), []byte("from=snapshot")) {
		from = "snapshot"
	}
	return c, from
}

func (r *snapRig) fileExists() bool {
	_, err := os.Stat(r.path)
	return err == nil
}

// The index comes from its file when the store's faces are those it was
// written from, and answers as the index rebuilt from the store; a face
// added since makes the file stale (rebuilt); a face removed deletes the
// file at once.
func TestFaceSnapshotAcrossStarts(t *testing.T) {
	r := newSnapRig(t, 300)
	c, from := r.controller()
	assert.Equal(t, "store", from, "no file yet")
	n, err := c.snaps.write()
	require.NoError(t, err)
	assert.Equal(t, 300, n)
	require.True(t, r.fileExists())
	raw, err := os.ReadFile(r.path)
	require.NoError(t, err)
	assert.False(t, bytes.Contains(raw, []byte("r0001/f0")), "the ids are encrypted with the rest")
	n, err = c.snaps.write()
	require.NoError(t, err)
	assert.Equal(t, -1, n, "the file is up to date: not written again")
	c.Close()

	r.restart()
	c, from = r.controller()
	assert.Equal(t, "snapshot", from, r.log.String())
	for i := range 300 {
		m := c.faces.Search(vectorOf(i))
		require.Equal(t, fmt.Sprintf("r%04d", i), m.Identity, "face %d", i)
	}

	// A face added: the file is stale, but kept until it is written again.
	require.NoError(t, r.st.PutIdentity(store.Identity{ID: "late", Kind: policy.Resident, Name: "Late"}))
	require.NoError(t, r.st.GiveConsent(store.Consent{Identity: "late", Biometric: policy.Face, Text: "face-v1", Account: "t"}))
	require.NoError(t, c.EnrollDescriptor("late", "f0", vectorOf(1000)))
	assert.True(t, r.fileExists())
	c.Close()
	r.restart()
	c, from = r.controller()
	assert.Equal(t, "store", from, "stale: rebuilt")
	assert.Contains(t, r.log.String(), "changed since it was written")
	assert.Equal(t, "late", c.faces.Search(vectorOf(1000)).Identity)
	_, err = c.snaps.write()
	require.NoError(t, err)

	// A face removed: the file goes at once, with the write that removed it.
	require.True(t, r.fileExists())
	_, err = r.st.DeleteFaces("r0007")
	require.NoError(t, err)
	assert.False(t, r.fileExists(), "no file keeps a removed face")
	// Written again on stop, without the face; the next start reads it.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); c.snaps.run(ctx) }()
	cancel()
	<-done
	require.True(t, r.fileExists(), "written on stop")
	c.Close()
	r.restart()
	c, from = r.controller()
	assert.Equal(t, "snapshot", from)
	assert.NotEqual(t, "r0007", c.faces.Search(vectorOf(7)).Identity, "the removed face is not in the file")
	assert.Equal(t, "late", c.faces.Search(vectorOf(1000)).Identity)
}

// A file changed on disk, or not a snapshot at all, is not read: the index
// is rebuilt from the store and says why.
func TestFaceSnapshotRefusesAChangedFile(t *testing.T) {
	r := newSnapRig(t, 50)
	c, _ := r.controller()
	_, err := c.snaps.write()
	require.NoError(t, err)
	c.Close()
	raw, err := os.ReadFile(r.path)
	require.NoError(t, err)
	for name, b := range map[string][]byte{
		"a byte changed": func() []byte { b := bytes.Clone(raw); b[len(b)-100] ^= 1; return b }(),
		"cut short":      raw[:len(raw)/2],
		"other file":     []byte("hello\n"),
	} {
		require.NoError(t, os.WriteFile(r.path, b, 0o600))
		c, from := r.controller()
		assert.Equal(t, "store", from, name)
		assert.Contains(t, r.log.String(), "face index snapshot not used", name)
		assert.Equal(t, 50, c.faces.(faceIndex).Len(), name)
		assert.Equal(t, "r0003", c.faces.Search(vectorOf(3)).Identity, name)
		c.Close()
	}
}

// readAhead gives its reader exactly the source's bytes, then the source's
// error or EOF, and stops when closed early.
func TestReadAhead(t *testing.T) {
	src := make([]byte, 3*readAheadBuf+12345)
	for i := range src {
		src[i] = byte(i * 7)
	}
	r := newReadAhead(bytes.NewReader(src))
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	assert.Equal(t, src, got)
	r.Close()

	r = newReadAhead(io.MultiReader(bytes.NewReader(src[:100]), iotest.ErrReader(errors.New("disk"))))
	got, err = io.ReadAll(r)
	assert.EqualError(t, err, "disk")
	assert.Equal(t, src[:100], got)
	r.Close()

	r = newReadAhead(bytes.NewReader(src))
	_, err = r.Read(make([]byte, 10))
	require.NoError(t, err)
	r.Close() // with buffers still full
}
