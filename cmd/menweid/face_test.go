//go:build !nodlib

package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/biometric/face"
	"menwei/biometric/faceindex"
	"menwei/controller"
	"menwei/controller/store"
	"menwei/devices/faceterm"
	"menwei/devices/osdp"
	"menwei/firmware-mocks/facepd"
	"menwei/firmware-mocks/osdppd"
)

// Real go-face with the real dlib models and real photos (the npm packages
// `make test` fetches into .cache).
func cachePath(t testing.TB, sub string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", ".cache", sub))
	require.NoError(t, err)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s missing: run `make models photos` (make test does): %v", p, err)
	}
	return p
}

var (
	embedOnce sync.Once
	embedder  *face.Embedder
	embedErr  error
)

func testEmbedder(t testing.TB) *face.Embedder {
	models := cachePath(t, "models")
	embedOnce.Do(func() {
		embedder, embedErr = face.Open(face.Config{ModelDir: models})
		if embedErr == nil {
			afterAll = append(afterAll, embedder.Close)
		}
	})
	require.NoError(t, embedErr)
	return embedder
}

// people cuts two different faces out of a group photo.
func people(t testing.TB) (a, b image.Image) {
	group, err := os.ReadFile(filepath.Join(cachePath(t, "photos"), "sample1.jpg"))
	require.NoError(t, err)
	faces, err := testEmbedder(t).Faces(context.Background(), group)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(faces), 2)
	img, err := jpeg.Decode(bytes.NewReader(group))
	require.NoError(t, err)
	cut := func(r image.Rectangle) image.Image {
		pad := r.Dx()
		r = image.Rect(r.Min.X-pad, r.Min.Y-pad, r.Max.X+pad, r.Max.Y+pad).Intersect(img.Bounds())
		out := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
		for y := 0; y < r.Dy(); y++ {
			for x := 0; x < r.Dx(); x++ {
				out.Set(x, y, img.At(r.Min.X+x, r.Min.Y+y))
			}
		}
		return out
	}
	return cut(faces[0].Box), cut(faces[1].Box)
}

// transformed is the same person seen again: mirrored, brighter, a little
// cropped, and re-compressed harder.
func transformed(m image.Image) image.Image {
	b := m.Bounds()
	cx, cy := b.Dx()/20, b.Dy()/20
	out := image.NewRGBA(image.Rect(0, 0, b.Dx()-2*cx, b.Dy()-2*cy))
	for y := 0; y < out.Bounds().Dy(); y++ {
		for x := 0; x < out.Bounds().Dx(); x++ {
			r, g, bl, _ := m.At(b.Max.X-1-cx-x, b.Min.Y+cy+y).RGBA()
			lift := func(v uint32) uint8 { return uint8(min(255, float64(v>>8)*1.12+6)) }
			out.Set(x, y, color.RGBA{lift(r), lift(g), lift(bl), 255})
		}
	}
	return out
}

func jpegOf(t testing.TB, m image.Image, q int) []byte {
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, m, &jpeg.Options{Quality: q}))
	return buf.Bytes()
}

// faceTerminal is an emulated face terminal (the PD pc) that sends what a
// real one sends: in JPEG mode a crop of the face the embedder finds,
// capped at facepd.FitsAt9600 as on a 9600-baud line, not the whole scene.
func faceTerminal(t testing.TB, mode facepd.Mode, pc osdppd.Config) *facepd.Terminal {
	t.Helper()
	e := testEmbedder(t)
	term, err := facepd.New(facepd.Config{Mode: mode, PD: pc, MaxBytes: facepd.FitsAt9600,
		Embed: func(ctx context.Context, j []byte) ([128]float32, error) {
			f, err := e.One(ctx, j)
			return f.Descriptor, err
		},
		Locate: func(ctx context.Context, j []byte) ([]image.Rectangle, error) {
			faces, err := e.Faces(ctx, j)
			boxes := make([]image.Rectangle, len(faces))
			for i, f := range faces {
				boxes[i] = f.Box
			}
			return boxes, err
		}})
	require.NoError(t, err)
	return term
}

func TestFaceTerminalOpensForEnrolledResident(t *testing.T) {
	a, b := people(t)
	enrolPhoto := jpegOf(t, a, 92)
	for _, mode := range []facepd.Mode{facepd.JPEGMode, facepd.DescriptorMode} {
		name := map[facepd.Mode]string{facepd.JPEGMode: "jpeg mode", facepd.DescriptorMode: "descriptor mode"}[mode]
		t.Run(name, func(t *testing.T) {
			e := testEmbedder(t)
			term := faceTerminal(t, mode, osdppdConfig(101))
			dir := t.TempDir()
			extra := fmt.Sprintf("face:\n  models: %s", cachePath(t, "models"))
			g := startGateWith(t, gateSetup{pd: term.PD, extra: extra, dir: dir, seed: true, beforeRun: func(s *store.Store) {
				// Enrol Li Wei from one photo, as `menweictl faces enroll` does.
				f, err := e.One(context.Background(), enrolPhoto)
				require.NoError(t, err)
				require.NoError(t, s.PutFace(store.FaceRecord{Identity: "li-wei", ID: "enrol", Vector: f.Descriptor}))
			}})
			g.waitOnline(false)
			waitOut(t, term.PD, osdp.OutPermOffAbort)

			// The same person, seen differently: the door opens.
			require.NoError(t, term.Show(context.Background(), jpegOf(t, transformed(a), 70)))
			granted := g.waitEvent("face grant", func(e controller.Event) bool { return e.Kind == controller.KindGranted })
			assert.Equal(t, "li-wei", granted.Identity)
			assert.Equal(t, "face", granted.Factor)
			waitOut(t, term.PD, osdp.OutTempOnThenOff)

			// Someone else: denied as an unknown face, and (JPEG mode) a crop kept.
			require.NoError(t, term.Show(context.Background(), jpegOf(t, b, 85)))
			denied := g.waitEvent("face denial", func(e controller.Event) bool { return e.Kind == controller.KindDenied })
			assert.Equal(t, controller.ReasonUnknownFace, denied.Reason)
			assert.Empty(t, denied.Identity)
			getCrop := func() (int, []byte) {
				req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/api/v1/events/%d/crop", g.url, denied.Seq), nil)
				req.Header.Set("Authorization", "Bearer "+g.token)
				resp, err := http.DefaultClient.Do(req)
				require.NoError(t, err)
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, body
			}
			if mode == facepd.JPEGMode {
				// The crop is stored right after its event.
				var body []byte
				require.Eventually(t, func() bool {
					var status int
					status, body = getCrop()
					return status == http.StatusOK
				}, 10*time.Second, 10*time.Millisecond)
				crop, err := jpeg.Decode(bytes.NewReader(body))
				require.NoError(t, err)
				assert.LessOrEqual(t, max(crop.Bounds().Dx(), crop.Bounds().Dy()), 160, "a small crop")
			} else {
				status, _ := getCrop()
				assert.Equal(t, http.StatusNotFound, status, "a descriptor-mode terminal sends no photo")
			}

			// The same stranger again and again: the same face ref, then an alert.
			assert.NotEmpty(t, denied.FaceRef)
			for range 2 {
				require.NoError(t, term.Show(context.Background(), jpegOf(t, transformed(b), 80)))
				time.Sleep(200 * time.Millisecond)
			}
			alert := g.waitEvent("repeated stranger", func(e controller.Event) bool { return e.Kind == "alert.unknown_repeated" })
			assert.Equal(t, denied.FaceRef, alert.FaceRef)

			// A spoof: liveness below the door's minimum is refused even for Li Wei.
			term.SetLiveness(10)
			require.NoError(t, term.Show(context.Background(), jpegOf(t, transformed(a), 75)))
			spoof := g.waitEvent("liveness", func(e controller.Event) bool { return e.Reason == controller.ReasonLiveness })
			assert.Equal(t, controller.KindDenied, spoof.Kind)
			time.Sleep(50 * time.Millisecond)
		})
	}
}

// A guard registers a visitor with a photo over the API; the face terminal
// sees the visitor and the door opens for them, counting one use.
func TestVisitorRegisteredWithPhotoEntersByFace(t *testing.T) {
	photo, err := os.ReadFile(filepath.Join(cachePath(t, "photos"), "sample2.jpg")) // one face
	require.NoError(t, err)
	term := faceTerminal(t, facepd.JPEGMode, osdppdConfig(101))
	g := startGateWith(t, gateSetup{pd: term.PD, seed: true, extra: fmt.Sprintf("face:\n  models: %s", cachePath(t, "models"))})
	g.waitOnline(false)

	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range map[string]string{"name": "Zhang San", "host": "li-wei", "until": time.Now().Add(2 * time.Hour).UTC().Format(time.RFC3339), "uses": "2", "consent": "face-v1"} {
		require.NoError(t, mw.WriteField(k, v))
	}
	fw, err := mw.CreateFormFile("photo", "visitor.jpg")
	require.NoError(t, err)
	fw.Write(photo)
	require.NoError(t, mw.Close())
	req, _ := http.NewRequest(http.MethodPost, g.url+"/api/v1/visitors", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+g.token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var v struct {
		ID string `json:"id"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&v))
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)

	require.NoError(t, term.Show(context.Background(), photo))
	granted := g.waitEvent("visitor grant", func(e controller.Event) bool { return e.Kind == controller.KindGranted })
	assert.Equal(t, v.ID, granted.Identity)
	assert.Equal(t, "Zhang San", granted.Name)
	waitOut(t, term.PD, osdp.OutTempOnThenOff)
}

// distinctFaces cuts n single-face crops of n different people out of the
// sample group photos: each crop is accepted by the embedder as exactly one
// face, and its descriptor is far (> 0.6) from every other crop's.
func distinctFaces(t *testing.T, n int) [][]byte {
	t.Helper()
	e := testEmbedder(t)
	var crops [][]byte
	var seen [][128]float32
	for i := 1; i <= 6 && len(crops) < n; i++ {
		group, err := os.ReadFile(filepath.Join(cachePath(t, "photos"), fmt.Sprintf("sample%d.jpg", i)))
		require.NoError(t, err)
		faces, err := e.Faces(context.Background(), group)
		require.NoError(t, err)
		img, err := jpeg.Decode(bytes.NewReader(group))
		require.NoError(t, err)
	next:
		for _, f := range faces {
			if len(crops) == n {
				break
			}
			pad := f.Box.Dx() / 2
			r := image.Rect(f.Box.Min.X-pad, f.Box.Min.Y-pad, f.Box.Max.X+pad, f.Box.Max.Y+pad).Intersect(img.Bounds())
			out := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
			for y := 0; y < r.Dy(); y++ {
				for x := 0; x < r.Dx(); x++ {
					out.Set(x, y, img.At(r.Min.X+x, r.Min.Y+y))
				}
			}
			crop := jpegOf(t, out, 92)
			one, err := e.One(context.Background(), crop)
			if err != nil {
				continue // too small or a neighbour's face in the crop
			}
			for _, d := range seen {
				if faceindex.Distance(d, one.Descriptor) < 0.6 {
					continue next
				}
			}
			seen = append(seen, one.Descriptor)
			crops = append(crops, crop)
		}
	}
	require.Len(t, crops, n, "the sample photos hold %d different faces", n)
	return crops
}

// registerVisitor registers a visitor with a photo over the API and returns
// the visitor's id.
func (g *gate) registerVisitor(name string, photo []byte) string {
	g.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range map[string]string{"name": name, "host": "li-wei", "until": time.Now().Add(2 * time.Hour).UTC().Format(time.RFC3339), "consent": "face-v1"} {
		require.NoError(g.t, mw.WriteField(k, v))
	}
	fw, err := mw.CreateFormFile("photo", "visitor.jpg")
	require.NoError(g.t, err)
	fw.Write(photo)
	require.NoError(g.t, mw.Close())
	req, _ := http.NewRequest(http.MethodPost, g.url+"/api/v1/visitors", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+g.token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(g.t, err)
	defer resp.Body.Close()
	var v struct {
		ID string `json:"id"`
	}
	require.NoError(g.t, json.NewDecoder(resp.Body).Decode(&v))
	require.Equal(g.t, http.StatusCreated, resp.StatusCode, name)
	return v.ID
}

// Every visitor's face used to be enrolled under the same face id, so each
// new visitor replaced the last one in the face index: only the last
// registered visitor could enter.
func TestEveryVisitorsFaceOpens(t *testing.T) {
	const n = 5
	crops := distinctFaces(t, n)
	term := faceTerminal(t, facepd.JPEGMode, osdppdConfig(101))
	extra := fmt.Sprintf("face:\n  models: %s", cachePath(t, "models"))
	g := startGateWith(t, gateSetup{pd: term.PD, seed: true, extra: extra})
	g.waitOnline(false)

	ids := make([]string, n)
	for i, c := range crops {
		ids[i] = g.registerVisitor(fmt.Sprintf("Visitor %d", i), c)
	}
	// present shows crop i at the terminal and returns the decision.
	present := func(g *gate, i int) controller.Event {
		t.Helper()
		after := len(g.events())
		require.NoError(t, term.Show(context.Background(), jpegOf(t, transformed(mustDecode(t, crops[i])), 80)))
		return g.waitEvent(fmt.Sprintf("decision for visitor %d", i), func(e controller.Event) bool {
			return e.Seq > uint64(after) && (e.Kind == controller.KindGranted || e.Kind == controller.KindDenied)
		})
	}
	for i := range crops {
		d := present(g, i)
		assert.Equal(t, controller.KindGranted, d.Kind, "visitor %d: %s", i, d.Reason)
		assert.Equal(t, ids[i], d.Identity, "visitor %d", i)
	}

	g.shutdown()
	g = startGateWith(t, gateSetup{pd: term.PD, dir: g.dir, extra: extra})
	g.waitOnline(false)
	for i := range crops {
		d := present(g, i)
		assert.Equal(t, controller.KindGranted, d.Kind, "after a restart, visitor %d: %s", i, d.Reason)
		assert.Equal(t, ids[i], d.Identity, "after a restart, visitor %d", i)
	}

	req, _ := http.NewRequest(http.MethodDelete, g.url+"/api/v1/visitors/"+ids[2], nil)
	req.Header.Set("Authorization", "Bearer "+g.token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Less(t, resp.StatusCode, 300)
	for i := range crops {
		d := present(g, i)
		if i == 2 {
			assert.Equal(t, controller.KindDenied, d.Kind, "the removed visitor is refused")
			assert.Empty(t, d.Identity)
			continue
		}
		assert.Equal(t, controller.KindGranted, d.Kind, "visitor %d still enters: %s", i, d.Reason)
		assert.Equal(t, ids[i], d.Identity)
	}
}

func mustDecode(t *testing.T, b []byte) image.Image {
	t.Helper()
	m, err := jpeg.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	return m
}

// On an RS-485 line at 9600 baud (paced and half-duplex, as the wire is),
// under the secure channel: the terminal's capture of an enrolled
// resident, a crop of the face of at most 6 KiB, crosses the line in
// 1,000-byte fragments of over a second each, arrives within the
// reassembly window, and the door opens. The terminal never goes offline
// and the line never has two talkers.
func TestFaceCropCrossesA9600BaudLine(t *testing.T) {
	key, err := hex.DecodeString(testKey)
	require.NoError(t, err)
	photo, err := os.ReadFile(filepath.Join(cachePath(t, "photos"), "sample2.jpg")) // one face
	require.NoError(t, err)
	e := testEmbedder(t)
	pc := osdppdConfig(101)
	pc.SCBK = key
	term := faceTerminal(t, facepd.JPEGMode, pc)
	g := startGateWith(t, gateSetup{pd: term.PD, line: 9600, seed: true,
		pdYAML: "        scbk: " + testKey + "\n        face: jpeg\n        face_max_bytes: 6144",
		extra:  fmt.Sprintf("face:\n  models: %s", cachePath(t, "models")),
		beforeRun: func(s *store.Store) {
			// Enrolled from the photo, as `menweictl faces enroll` does.
			f, err := e.One(context.Background(), photo)
			require.NoError(t, err)
			require.NoError(t, s.PutFace(store.FaceRecord{Identity: "li-wei", ID: "enrol", Vector: f.Descriptor}))
		}})
	g.waitOnline(true)
	waitOut(t, term.PD, osdp.OutPermOffAbort)

	before := len(g.line.Writes())
	require.NoError(t, term.Show(context.Background(), jpegOf(t, transformed(mustDecode(t, photo)), 80)))
	granted := g.waitEvent("face grant", func(e controller.Event) bool {
		return e.Kind == controller.KindGranted || e.Kind == controller.KindDenied
	})
	require.Equal(t, controller.KindGranted, granted.Kind, granted.Reason)
	assert.Equal(t, "li-wei", granted.Identity)
	assert.Equal(t, "face", granted.Factor)
	waitOut(t, term.PD, osdp.OutTempOnThenOff)

	// What crossed the line: the sealed MFGREPs the terminal sent.
	frags, wire := 0, 0
	for _, w := range g.line.Writes()[before:] {
		f, _, err := osdp.Decode(w)
		if err == nil && f.Code == osdp.ReplyMFGREP {
			frags++
			wire += len(w)
		}
	}
	assert.Positive(t, frags)
	assert.LessOrEqual(t, frags, (facepd.FitsAt9600+faceterm.DefaultFragment-1)/faceterm.DefaultFragment, "a capture of at most 6 KiB")
	t.Logf("capture: %d fragments, %d bytes of MFGREP on the wire", frags, wire)
	for _, ev := range g.events() {
		assert.NotEqual(t, controller.KindPDOffline, ev.Kind, "the terminal stays online: %+v", ev)
	}
	assert.Zero(t, g.line.Collisions(), "never two talkers on the line")
}
