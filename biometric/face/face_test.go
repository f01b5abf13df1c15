//go:build !nodlib

package face

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The models and photos come from npm packages that `make test` fetches into
// the repository's .cache (make models photos).
func cacheDir(t testing.TB, sub string) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", ".cache", sub))
	require.NoError(t, err)
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("%s missing: run `make models photos` first (make test does): %v", dir, err)
	}
	return dir
}

var (
	sharedOnce sync.Once
	shared     *Embedder
	sharedErr  error
)

func embedder(t testing.TB) *Embedder {
	models := cacheDir(t, "models")
	sharedOnce.Do(func() { shared, sharedErr = Open(Config{ModelDir: models}) })
	require.NoError(t, sharedErr)
	return shared
}

func photo(t testing.TB, name string) []byte {
	b, err := os.ReadFile(filepath.Join(cacheDir(t, "photos"), name))
	require.NoError(t, err)
	return b
}

func dist(a, b Descriptor) float64 {
	var s float64
	for i := range a {
		d := float64(a[i] - b[i])
		s += d * d
	}
	return math.Sqrt(s)
}

func crop(t testing.TB, img []byte, r image.Rectangle) image.Image {
	m, err := jpeg.Decode(bytes.NewReader(img))
	require.NoError(t, err)
	// Keep the face with a generous margin so the detector sees a whole head.
	pad := r.Dx()
	r = image.Rect(r.Min.X-pad, r.Min.Y-pad, r.Max.X+pad, r.Max.Y+pad).Intersect(m.Bounds())
	out := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	for y := 0; y < r.Dy(); y++ {
		for x := 0; x < r.Dx(); x++ {
			out.Set(x, y, m.At(r.Min.X+x, r.Min.Y+y))
		}
	}
	return out
}

func encJPEG(t testing.TB, m image.Image, q int) []byte {
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, m, &jpeg.Options{Quality: q}))
	return buf.Bytes()
}

func TestGroupPhotoAndCrops(t *testing.T) {
	e := embedder(t)
	ctx := context.Background()
	group := photo(t, "sample1.jpg")
	faces, err := e.Faces(ctx, group)
	require.NoError(t, err)
	require.Greater(t, len(faces), 1, "sample1 is a group photo")
	_, err = e.One(ctx, group)
	assert.ErrorIs(t, err, ErrManyFaces)

	// One face cut out of the group: still that person, as JPEG and as PNG.
	target := faces[0]
	one := crop(t, group, target.Box)
	f, err := e.One(ctx, encJPEG(t, one, 90))
	require.NoError(t, err)
	assert.Less(t, dist(f.Descriptor, target.Descriptor), 0.4, "a crop of the same face")
	assert.Greater(t, f.Quality, float32(0))

	var pngBuf bytes.Buffer
	require.NoError(t, png.Encode(&pngBuf, one))
	g, err := e.One(ctx, pngBuf.Bytes())
	require.NoError(t, err)
	assert.Less(t, dist(g.Descriptor, f.Descriptor), 0.1, "PNG converted to JPEG gives the same descriptor")

	// Every other face in the photo is farther from it than its own crop.
	for _, other := range faces[1:] {
		assert.Greater(t, dist(other.Descriptor, target.Descriptor), dist(f.Descriptor, target.Descriptor))
	}
}

func TestErrors(t *testing.T) {
	e := embedder(t)
	ctx := context.Background()
	_, err := e.One(ctx, []byte("not an image at all"))
	assert.ErrorIs(t, err, ErrNotImage)

	blank := image.NewRGBA(image.Rect(0, 0, 200, 200))
	for i := range blank.Pix {
		blank.Pix[i] = 200
	}
	blank.Set(10, 10, color.Black)
	_, err = e.One(ctx, encJPEG(t, blank, 90))
	assert.ErrorIs(t, err, ErrNoFace)

	small := &Embedder{cfg: Config{MaxBytes: 100, MaxPixels: 1}}
	_, err = prepare(make([]byte, 101), &small.cfg)
	assert.ErrorIs(t, err, ErrTooLarge)
	small.cfg.MaxBytes = 1 << 20
	_, err = prepare(encJPEG(t, blank, 90), &small.cfg)
	assert.ErrorIs(t, err, ErrTooLarge)
}

func TestModelsMissing(t *testing.T) {
	_, err := Open(Config{ModelDir: t.TempDir()})
	assert.ErrorIs(t, err, ErrModelsMissing)
	assert.Contains(t, err.Error(), "make models")
}

// Black-and-white photos are photos: a grayscale PNG or JPEG with a face is
// enrolled, one without a face is "no face", never "not an image" (dlib's
// loader takes colour JPEGs only).
func TestGrayscalePhotos(t *testing.T) {
	e := embedder(t)
	ctx := context.Background()
	group := photo(t, "sample1.jpg")
	faces, err := e.Faces(ctx, group)
	require.NoError(t, err)
	one := crop(t, group, faces[0].Box)
	gray := image.NewGray(one.Bounds())
	draw.Draw(gray, gray.Bounds(), one, one.Bounds().Min, draw.Src)

	var pngBuf bytes.Buffer
	require.NoError(t, png.Encode(&pngBuf, gray))
	for name, img := range map[string][]byte{"png": pngBuf.Bytes(), "jpeg": encJPEG(t, gray, 90)} {
		f, err := e.One(ctx, img)
		require.NoError(t, err, "grayscale %s", name)
		assert.Less(t, dist(f.Descriptor, faces[0].Descriptor), 0.45, "grayscale %s: the same person", name)
	}

	blank := image.NewGray(image.Rect(0, 0, 64, 64))
	pngBuf.Reset()
	require.NoError(t, png.Encode(&pngBuf, blank))
	for name, img := range map[string][]byte{"png": pngBuf.Bytes(), "jpeg": encJPEG(t, blank, 90)} {
		_, err := e.One(ctx, img)
		assert.ErrorIs(t, err, ErrNoFace, "blank grayscale %s", name)
	}
}
