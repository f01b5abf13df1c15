//go:build !nodlib

package face

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The sample photos (1920 px, one face or a group) decide as go-face on
// the whole photo does: the same number of faces for Faces, the same
// answer from One (one face, or several), and for the one face a
// descriptor from the full-resolution pixels: within 0.05 of go-face's on
// the whole photo (a re-encoded crop; the match threshold is 0.5) and its
// box where go-face puts it.
func TestReducedCopyDecidesAsTheWholePhoto(t *testing.T) {
	e := embedder(t)
	ctx := context.Background()
	for i := 1; i <= 6; i++ {
		name := fmt.Sprintf("sample%d.jpg", i)
		img := photo(t, name)
		whole, err := e.whole(img)
		require.NoError(t, err)
		require.NotEmpty(t, whole, name)
		faces, err := e.Faces(ctx, img)
		require.NoError(t, err)
		assert.Len(t, faces, len(whole), "%s: Faces", name)
		one, err := e.One(ctx, img)
		if len(whole) > 1 {
			assert.ErrorIs(t, err, ErrManyFaces, name)
			continue
		}
		require.NoError(t, err, name)
		assert.Less(t, dist(one.Descriptor, whole[0].Descriptor), 0.05, "%s: the descriptor", name)
		in := one.Box.Intersect(whole[0].Box)
		assert.Greater(t, float64(in.Dx()*in.Dy()), 0.7*float64(whole[0].Box.Dx()*whole[0].Box.Dy()), "%s: the box %v, go-face's %v", name, one.Box, whole[0].Box)
		faces, ok := e.reduced(img, true)
		require.True(t, ok, "%s: found on the reduced copy, not described whole", name)
		assert.Len(t, faces, 1)
	}
}

// A photo no larger than reduceAbove is described whole.
func TestSmallPhotoDescribedWhole(t *testing.T) {
	e := embedder(t)
	img := photo(t, "sample2.jpg")
	whole, err := e.whole(img)
	require.NoError(t, err)
	require.Len(t, whole, 1)
	small := encJPEG(t, crop(t, img, whole[0].Box), 90) // the face with its own size around it
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(small))
	require.NoError(t, err)
	require.LessOrEqual(t, max(cfg.Width, cfg.Height), reduceAbove)
	_, ok := e.reduced(small, true)
	assert.False(t, ok)
	f, err := e.One(context.Background(), small)
	require.NoError(t, err)
	assert.Less(t, dist(f.Descriptor, whole[0].Descriptor), 0.05)
}

// The C side refuses what is not a JPEG and regions outside the photo,
// and crops at the edges.
func TestDetectAndCropJPEG(t *testing.T) {
	e := embedder(t)
	img := photo(t, "sample2.jpg")
	_, _, err := e.det.detect([]byte("not a jpeg at all"), 4)
	assert.ErrorContains(t, err, "decode")
	cut := img[:len(img)/3] // a truncated JPEG decodes with grey below (libjpeg warns)
	_, _, err = e.det.detect(cut, 4)
	assert.NoError(t, err)
	_, err = cropJPEG([]byte("nope"), image.Rect(0, 0, 10, 10), 90)
	assert.ErrorContains(t, err, "crop")
	_, err = cropJPEG(img, image.Rect(5000, 5000, 5100, 5100), 90)
	assert.ErrorContains(t, err, "empty region")
	out, err := cropJPEG(img, image.Rect(-50, 1300, 120, 1500), 90) // clipped to the photo
	require.NoError(t, err)
	m, err := jpeg.Decode(bytes.NewReader(out))
	require.NoError(t, err)
	assert.Equal(t, image.Rect(0, 0, 120, 67), m.Bounds())
}

// FuzzDetectAndCrop: whatever the bytes and the region, libjpeg's errors
// come back as errors (no crash in the C side) and a crop is a JPEG of at
// most the region's size.
func FuzzDetectAndCrop(f *testing.F) {
	m := image.NewRGBA(image.Rect(0, 0, 48, 40))
	for i := range m.Pix {
		m.Pix[i] = byte(i * 13)
	}
	var buf bytes.Buffer
	require.NoError(f, jpeg.Encode(&buf, m, &jpeg.Options{Quality: 80}))
	f.Add(buf.Bytes(), int16(0), int16(0), int16(48), int16(40), uint8(4))
	f.Add(buf.Bytes()[:100], int16(-5), int16(3), int16(20), int16(90), uint8(8))
	f.Add([]byte{0xff, 0xd8, 0xff}, int16(1), int16(1), int16(2), int16(2), uint8(1))
	det, err := newDetector()
	require.NoError(f, err)
	f.Cleanup(det.close)
	f.Fuzz(func(t *testing.T, b []byte, x0, y0, x1, y1 int16, scale uint8) {
		if len(b) == 0 {
			return
		}
		_, _, _ = det.detect(b, 1+int(scale)%8)
		r := image.Rect(int(x0), int(y0), int(x1), int(y1))
		out, err := cropJPEG(b, r, 90)
		if err != nil {
			return
		}
		c, err := jpeg.DecodeConfig(bytes.NewReader(out))
		require.NoError(t, err)
		assert.LessOrEqual(t, c.Width, r.Dx())
		assert.LessOrEqual(t, c.Height, r.Dy())
	})
}
