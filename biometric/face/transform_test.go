//go:build !nodlib

package face

import (
	"context"
	"image"
	"image/color"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/biometric/faceindex"
)

func transform(m image.Image, f func(x, y int, at func(x, y int) color.RGBA) color.RGBA) image.Image {
	b := m.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	at := func(x, y int) color.RGBA {
		if x < 0 || y < 0 || x >= b.Dx() || y >= b.Dy() {
			return color.RGBA{128, 128, 128, 255}
		}
		r, g, bl, _ := m.At(b.Min.X+x, b.Min.Y+y).RGBA()
		return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), 255}
	}
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			out.Set(x, y, f(x, y, at))
		}
	}
	return out
}

// One person photographed again — cropped, mirrored, brighter, slightly
// rotated, re-compressed — is still accepted by the open-set index, and the
// other people of the group photo are rejected.
func TestSamePersonTransformedAndStrangersRejected(t *testing.T) {
	e := embedder(t)
	ctx := context.Background()
	group := photo(t, "sample1.jpg")
	faces, err := e.Faces(ctx, group)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(faces), 3)

	idx, err := faceindex.New(faceindex.Config{})
	require.NoError(t, err)
	person := crop(t, group, faces[0].Box)
	enrol, err := e.One(ctx, encJPEG(t, person, 92))
	require.NoError(t, err)
	require.NoError(t, idx.Add("person-0", "enrol", enrol.Descriptor))
	// Other enrolled people, so the margin rule has someone to compare with.
	for i, f := range faces[2:] {
		require.NoError(t, idx.Add("other", "o"+string(rune('a'+i)), f.Descriptor))
	}

	w, h := person.Bounds().Dx(), person.Bounds().Dy()
	rot := 5 * math.Pi / 180
	cases := map[string]image.Image{
		"cropped": transform(person, func(x, y int, at func(int, int) color.RGBA) color.RGBA {
			return at(w/10+x*8/10, h/10+y*8/10)
		}),
		"mirrored": transform(person, func(x, y int, at func(int, int) color.RGBA) color.RGBA { return at(w-1-x, y) }),
		"brighter": transform(person, func(x, y int, at func(int, int) color.RGBA) color.RGBA {
			c := at(x, y)
			up := func(v uint8) uint8 { return uint8(min(255, float64(v)*1.25+10)) }
			return color.RGBA{up(c.R), up(c.G), up(c.B), 255}
		}),
		"rotated 5°": transform(person, func(x, y int, at func(int, int) color.RGBA) color.RGBA {
			cx, cy := float64(w)/2, float64(h)/2
			dx, dy := float64(x)-cx, float64(y)-cy
			return at(int(cx+dx*math.Cos(rot)-dy*math.Sin(rot)), int(cy+dx*math.Sin(rot)+dy*math.Cos(rot)))
		}),
		"re-compressed": person,
	}
	for name, img := range cases {
		t.Run(name, func(t *testing.T) {
			q := 90
			if name == "re-compressed" {
				q = 40
			}
			f, err := e.One(ctx, encJPEG(t, img, q))
			require.NoError(t, err)
			r := idx.Search(f.Descriptor)
			assert.Equal(t, "person-0", r.Identity, "%s: distance %.3f, reason %s", name, r.Distance, r.Reason)
			assert.Less(t, r.Distance, float32(0.5))
		})
	}

	// Faces 1.. are other people: never accepted as person-0.
	for i, f := range faces[1:2] {
		r := idx.Search(f.Descriptor)
		assert.NotEqual(t, "person-0", r.Identity, "stranger %d: distance %.3f", i+1, r.Distance)
	}
}
