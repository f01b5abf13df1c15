package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/biometric/face"
)

// fakeFinder knows the faces of one photo, and how many faces it finds in
// any other image (a crop).
type fakeFinder struct {
	photo   []byte
	faces   []face.Face
	inCrops int
}

func (f fakeFinder) Faces(_ context.Context, img []byte) ([]face.Face, error) {
	if bytes.Equal(img, f.photo) {
		return f.faces, nil
	}
	return make([]face.Face, f.inCrops), nil
}

func grey(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 128
	}
	var b bytes.Buffer
	require.NoError(t, jpeg.Encode(&b, img, nil))
	return b.Bytes()
}

func box(x0, y0, x1, y1 int) face.Face { return face.Face{Box: image.Rect(x0, y0, x1, y1)} }

func TestCropMarginsAvoidOtherFaces(t *testing.T) {
	photo := grey(t, 1000, 600)
	f := fakeFinder{photo: photo, inCrops: 1, faces: []face.Face{
		box(440, 100, 640, 300), // 60 px from the next: margin 0.25
		box(100, 100, 300, 300), // nothing within 0.6 of its size: the full margin, cut at the edges
		box(700, 100, 900, 300), // 60 px from the one before: margin 0.25
		box(0, 450, 100, 550),   // small, at the edge: cut at the edge, enlarged to 150 px
		box(500, 450, 600, 550), // 5 px from the next: the bare box, enlarged
		box(605, 450, 705, 550),
		box(800, 450, 900, 550),
		box(850, 500, 950, 600), // overlaps the one before: neither can be alone
	}}
	crops, skips, err := cropFaces(context.Background(), f, photo)
	require.NoError(t, err)
	size := func(c crop) image.Point {
		img, err := jpeg.Decode(bytes.NewReader(c.JPEG))
		require.NoError(t, err)
		return img.Bounds().Size()
	}
	type got struct {
		N    int
		Box  image.Rectangle
		Size image.Point
	}
	var all []got
	for _, c := range crops {
		all = append(all, got{c.N, c.Box, size(c)})
	}
	assert.Equal(t, []got{
		{1, image.Rect(100, 100, 300, 300), image.Pt(420, 420)}, // numbered top to bottom, then left to right
		{2, image.Rect(440, 100, 640, 300), image.Pt(300, 300)},
		{3, image.Rect(700, 100, 900, 300), image.Pt(300, 300)},
		{4, image.Rect(0, 450, 100, 550), image.Pt(240, 315)},
		{5, image.Rect(500, 450, 600, 550), image.Pt(150, 150)},
		{6, image.Rect(605, 450, 705, 550), image.Pt(150, 150)},
	}, all)
	require.Len(t, skips, 2)
	assert.Equal(t, []int{7, 8}, []int{skips[0].N, skips[1].N})
	assert.Contains(t, skips[0].Why, "overlaps")
}

func TestCropRefusedWhenTheEmbedderSeesAnotherCount(t *testing.T) {
	photo := grey(t, 400, 400)
	for _, n := range []int{0, 2} {
		crops, skips, err := cropFaces(context.Background(), fakeFinder{photo: photo, inCrops: n, faces: []face.Face{box(100, 100, 300, 300)}}, photo)
		require.NoError(t, err)
		assert.Empty(t, crops)
		require.Len(t, skips, 1)
		assert.Contains(t, skips[0].Why, "faces to the embedder")
	}
}

func TestParseFlags(t *testing.T) {
	cfg, err := parseFlags([]string{"-models", "m", "a.jpg", "b.jpg"}, new(bytes.Buffer))
	require.NoError(t, err)
	assert.Equal(t, config{Models: "m", Out: "data/faces", Photos: []string{"a.jpg", "b.jpg"}}, cfg)
	_, err = parseFlags([]string{"a.jpg"}, new(bytes.Buffer))
	assert.Error(t, err, "no models")
	_, err = parseFlags([]string{"-models", "m"}, new(bytes.Buffer))
	assert.Error(t, err, "no photos")
}

// cache returns a directory of the shared test cache (make models photos).
func cache(t *testing.T, sub string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "..", ".cache", sub))
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
	t.Helper()
	embedOnce.Do(func() { embedder, embedErr = face.Open(face.Config{ModelDir: cache(t, "models")}) })
	require.NoError(t, embedErr)
	return embedder
}

func distance(a, b face.Descriptor) float64 {
	var s float64
	for i := range a {
		d := float64(a[i] - b[i])
		s += d * d
	}
	return math.Sqrt(s)
}

// Every crop of the demo's sample photos holds exactly one face that the
// embedder accepts (face.Embedder.One, what visitor registration uses), and
// it is the face it was cut around: its descriptor is that face's. Each
// group photo gives at least two visitors.
func TestSampleCropsHoldOneAcceptedFaceEach(t *testing.T) {
	e := testEmbedder(t)
	ctx := context.Background()
	for n := 1; n <= 6; n++ {
		name := "sample" + string(rune('0'+n)) + ".jpg"
		t.Run(name, func(t *testing.T) {
			photo, err := os.ReadFile(filepath.Join(cache(t, "photos"), name))
			require.NoError(t, err)
			faces, err := e.Faces(ctx, photo)
			require.NoError(t, err)
			crops, _, err := cropFaces(ctx, e, photo)
			require.NoError(t, err)
			if len(faces) > 1 {
				assert.GreaterOrEqual(t, len(crops), 2, "a group photo gives several visitors")
			} else {
				assert.Len(t, crops, 1)
			}
			for _, c := range crops {
				got, err := e.One(ctx, c.JPEG)
				require.NoError(t, err, "crop %d", c.N)
				var orig face.Face
				for _, f := range faces {
					if f.Box == c.Box {
						orig = f
					}
				}
				assert.Less(t, distance(got.Descriptor, orig.Descriptor), 0.4, "crop %d is the face it was cut around", c.N)
				assert.InDelta(t, 1, got.Quality, 0.001, "crop %d: the face is large enough", c.N)
				for _, f := range faces {
					if f.Box != c.Box {
						assert.Greater(t, distance(got.Descriptor, f.Descriptor), 0.5, "crop %d is not another face", c.N)
					}
				}
			}
		})
	}
}

func TestRunWritesTheCrops(t *testing.T) {
	testEmbedder(t) // the models are there
	out := filepath.Join(t.TempDir(), "faces")
	var log bytes.Buffer
	err := run(context.Background(), config{Models: cache(t, "models"), Out: out,
		Photos: []string{filepath.Join(cache(t, "photos"), "sample2.jpg"), filepath.Join(cache(t, "photos"), "sample6.jpg")}}, &log)
	require.NoError(t, err)
	files, err := filepath.Glob(filepath.Join(out, "*.jpg"))
	require.NoError(t, err)
	assert.GreaterOrEqual(t, len(files), 3)
	assert.Contains(t, files, filepath.Join(out, "sample2-face1.jpg"))
	assert.Equal(t, len(files), strings.Count(log.String(), ".jpg: face"), "each file is reported")
	_, err = jpeg.Decode(bytes.NewReader(must(os.ReadFile(files[0]))))
	assert.NoError(t, err)

	err = run(context.Background(), config{Models: cache(t, "models"), Out: out, Photos: []string{writeBlank(t)}}, &log)
	assert.ErrorContains(t, err, "no face")
}

func writeBlank(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 300, 300))
	for i := range img.Pix {
		img.Pix[i] = 200
	}
	img.Set(1, 1, color.Black)
	var b bytes.Buffer
	require.NoError(t, jpeg.Encode(&b, img, nil))
	p := filepath.Join(t.TempDir(), "blank.jpg")
	require.NoError(t, os.WriteFile(p, b.Bytes(), 0o644))
	return p
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestMain(m *testing.M) {
	code := m.Run()
	if embedder != nil {
		embedder.Close()
	}
	os.Exit(code)
}
