package facepd

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/devices/faceterm"
	"menwei/devices/osdp"
)

// scene is a 1600×1000 photo of noise with a red "face" at face and a
// green square at other.
func scene(t *testing.T, face, other image.Rectangle) []byte {
	t.Helper()
	m := image.NewRGBA(image.Rect(0, 0, 1600, 1000))
	for i := range m.Pix {
		m.Pix[i] = byte(i * 7)
	}
	fill := func(r image.Rectangle, c color.RGBA) {
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				m.SetRGBA(x, y, c)
			}
		}
	}
	fill(face, color.RGBA{220, 20, 20, 255})
	fill(other, color.RGBA{20, 220, 20, 255})
	var b bytes.Buffer
	require.NoError(t, jpeg.Encode(&b, m, &jpeg.Options{Quality: 90}))
	return b.Bytes()
}

// fakeLocate finds the boxes given, whatever the photo; calls counts its calls.
type fakeLocate struct {
	boxes []image.Rectangle
	err   error
	calls int
}

func (f *fakeLocate) locate(context.Context, []byte) ([]image.Rectangle, error) {
	f.calls++
	return f.boxes, f.err
}

func jpegDecode(b []byte) (image.Image, error) { return jpeg.Decode(bytes.NewReader(b)) }

// captureOf drains the terminal and reassembles the one capture it sent.
func (c *cp) captureOf() ([]byte, int) {
	c.t.Helper()
	var r faceterm.Reassembler
	var got []byte
	msgs := c.drain()
	for _, m := range msgs {
		out, _, err := r.Add(time.Now(), "pd", m.(faceterm.Fragment))
		require.NoError(c.t, err)
		if out != nil {
			got = out
		}
	}
	require.NotNil(c.t, got, "a whole capture")
	return got, len(msgs)
}

// Given a face finder, the terminal sends a crop of the largest face with
// CropMargin around it, not the scene; capped, it fits a 9600-baud line.
func TestJPEGModeSendsAFaceCrop(t *testing.T) {
	face := image.Rect(1000, 300, 1200, 500)
	small := image.Rect(100, 100, 160, 160)
	photo := scene(t, face, small)
	loc := &fakeLocate{boxes: []image.Rectangle{small, face}}

	c := newCP(t, Config{Mode: JPEGMode, Locate: loc.locate})
	require.NoError(t, c.pd.Show(context.Background(), photo))
	got, _ := c.captureOf()
	m, err := jpegDecode(got)
	require.NoError(t, err)
	assert.Equal(t, image.Rect(0, 0, 400, 400), m.Bounds(), "the face box and half its size on each side")
	r, g, _, _ := m.At(200, 200).RGBA()
	assert.Greater(t, r>>8, uint32(180), "the face is in the middle")
	assert.Less(t, g>>8, uint32(60))
	assert.NotEqual(t, m.At(20, 20), m.At(200, 200), "with a margin of the scene around it")

	c = newCP(t, Config{Mode: JPEGMode, Locate: loc.locate, MaxBytes: FitsAt9600})
	require.NoError(t, c.pd.Show(context.Background(), photo))
	got, frags := c.captureOf()
	assert.LessOrEqual(t, len(got), FitsAt9600)
	assert.LessOrEqual(t, len(got), faceterm.MaxCapture(9600), "crosses a 9600-baud line in time")
	assert.Equal(t, (len(got)+999)/1000, frags)
	m, err = jpegDecode(got)
	require.NoError(t, err)
	assert.Equal(t, m.Bounds().Dx(), m.Bounds().Dy(), "still the square around the face")
	r, _, _, _ = m.At(m.Bounds().Dx()/2, m.Bounds().Dy()/2).RGBA()
	assert.Greater(t, r>>8, uint32(180), "still the face")
}

// A face at the edge of the photo is cropped within it; a box the finder
// puts (partly) outside the photo is taken within it.
func TestFaceCropStaysInThePhoto(t *testing.T) {
	bounds := image.Rect(0, 0, 1600, 1000)
	for _, tc := range []struct {
		name  string
		boxes []image.Rectangle
		want  image.Rectangle
		ok    bool
	}{
		{"middle", []image.Rectangle{image.Rect(600, 400, 800, 600)}, image.Rect(500, 300, 900, 700), true},
		{"corner", []image.Rectangle{image.Rect(0, 0, 100, 120)}, image.Rect(0, 0, 150, 180), true},
		{"partly outside", []image.Rectangle{image.Rect(1500, 900, 1700, 1100)}, image.Rect(1450, 850, 1600, 1000), true},
		{"largest of several", []image.Rectangle{image.Rect(0, 0, 50, 50), image.Rect(600, 400, 800, 600), image.Rect(1000, 0, 1100, 100)}, image.Rect(500, 300, 900, 700), true},
		{"first of two the same size", []image.Rectangle{image.Rect(600, 400, 800, 600), image.Rect(0, 0, 200, 200)}, image.Rect(500, 300, 900, 700), true},
		{"outside", []image.Rectangle{image.Rect(2000, 0, 2100, 100)}, image.Rectangle{}, false},
		{"empty box", []image.Rectangle{image.Rect(10, 10, 10, 50)}, image.Rectangle{}, false},
		{"none", nil, image.Rectangle{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			box, ok := nearest(tc.boxes, bounds)
			require.Equal(t, tc.ok, ok)
			if ok {
				assert.Equal(t, tc.want, cropAround(box, bounds))
			}
		})
	}
}

// A photo the finder sees no face in is refused, as a real terminal sends
// nothing: no capture, the face in view stays, and the liveness scripted
// for the next presentation is not used up. The finder's errors are the
// terminal's.
func TestNoFaceNoCapture(t *testing.T) {
	face := image.Rect(600, 400, 800, 600)
	photo := scene(t, face, image.Rectangle{})
	loc := &fakeLocate{boxes: []image.Rectangle{face}}
	c := newCP(t, Config{Mode: JPEGMode, Locate: loc.locate})
	require.NoError(t, c.pd.Show(context.Background(), photo))
	first, _ := c.captureOf()

	loc.boxes = nil
	c.pd.SetLiveness(30)
	assert.ErrorIs(t, c.pd.Show(context.Background(), photo), ErrNoFace)
	assert.Empty(t, c.drain(), "nothing sent")
	assert.Equal(t, byte(osdp.ReplyACK), c.do(osdp.BioRead{Format: faceterm.FormatDescriptor}).Code, "the last face is still in view")
	again, _ := c.captureOf()
	assert.Equal(t, first, again)

	loc.boxes = []image.Rectangle{face}
	require.NoError(t, c.pd.Show(context.Background(), photo))
	assert.Equal(t, []byte{30}, c.liveness(), "the scripted liveness is this presentation's")

	boom := errors.New("model busy")
	loc.err = boom
	assert.ErrorIs(t, c.pd.Show(context.Background(), photo), boom)
	assert.Error(t, c.pd.Show(context.Background(), []byte("not a photo")))
	assert.Equal(t, 4, loc.calls, "not asked about what is not a photo")
}
