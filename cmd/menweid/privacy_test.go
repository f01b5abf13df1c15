package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller/store"
	"menwei/devices/osdp"
	"menwei/firmware-mocks/facepd"
)

// grepDir lists the files under dir that contain any of the needles.
func grepDir(t *testing.T, dir string, needles map[string][]byte) []string {
	t.Helper()
	var hits []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for what, n := range needles {
			if bytes.Contains(b, n) {
				rel, _ := filepath.Rel(dir, p)
				hits = append(hits, rel+": "+what)
			}
		}
		return nil
	}))
	return hits
}

// A visitor registered with a distinctive name and a face photo, through
// the real daemon: no file under the data directory holds the name or any
// part of the face descriptor, while the gate runs and after it stops; the
// store is encrypted with a key file only its owner can read. (The same
// search finds them in a plaintext store: store's
// TestEncryptedStoreHoldsNoReadableSecret.)
func TestDataDirHoldsNoReadableName(t *testing.T) {
	photo, err := os.ReadFile(filepath.Join(cachePath(t, "photos"), "sample2.jpg"))
	require.NoError(t, err)
	term := faceTerminal(t, facepd.JPEGMode, osdppdConfig(101))
	g := startGateWith(t, gateSetup{pd: term.PD, seed: true, extra: fmt.Sprintf("face:\n  models: %s", cachePath(t, "models"))})
	g.waitOnline(false)
	waitOut(t, term.PD, osdp.OutPermOffAbort)

	const name = "诸葛亮亮 Zhuge Liangliang"
	id := g.registerVisitor(name, photo)
	needles := map[string][]byte{"the name in Chinese": []byte("诸葛亮亮"), "the name in pinyin": []byte("Zhuge Liangliang")}
	assert.Empty(t, grepDir(t, g.dir, needles), "while the gate runs")
	g.shutdown()

	s, err := openStore(filepath.Join(g.dir, "store"))
	require.NoError(t, err)
	var desc []byte
	require.NoError(t, s.Faces(func(f store.FaceRecord) bool {
		if f.Identity == id {
			for _, v := range f.Vector {
				desc = binary.LittleEndian.AppendUint32(desc, math.Float32bits(v))
			}
		}
		return true
	}))
	require.NoError(t, s.Close())
	require.Len(t, desc, 512, "the visitor's face is stored")
	needles["the descriptor's start"], needles["the descriptor's middle"] = desc[:32], desc[256:288]
	assert.Empty(t, grepDir(t, g.dir, needles), "after the gate stopped")

	enc, exists, err := store.Encrypted(filepath.Join(g.dir, "store"))
	require.NoError(t, err)
	assert.True(t, exists && enc, "the store is encrypted")
	st, err := os.Stat(filepath.Join(g.dir, "keys", "store.key"))
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o600), st.Mode().Perm())
}
