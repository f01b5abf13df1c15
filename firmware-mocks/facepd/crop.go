package facepd

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"

	"golang.org/x/image/draw"
)

// Locate finds the faces in a photo and returns their boxes in its pixels
// (biometric/face's Embedder.Faces in real use; facepd itself runs no face
// model). A photo without a face gives no boxes and no error.
type Locate func(ctx context.Context, jpeg []byte) ([]image.Rectangle, error)

// ErrNoFace is returned by Show when the terminal's locator finds no face
// in the photo: a real terminal sends nothing then.
var ErrNoFace = errors.New("facepd: the camera sees no face")

// CropMargin is the part of the face box's width and height a capture
// takes in on each side of it: a real terminal's crop shows the head and a
// little around it, so the control panel's detector finds the face again
// (dlib's detector misses a face cut at its box). 0.5 makes a crop about
// twice the box's size.
const CropMargin = 0.5

// nearest returns the face a terminal captures when it sees several: the
// largest, the person nearest the camera; of two the same size, the first.
// Boxes are taken within bounds; ok is false when none is left.
func nearest(boxes []image.Rectangle, bounds image.Rectangle) (image.Rectangle, bool) {
	var best image.Rectangle
	area := 0
	for _, b := range boxes {
		b = b.Intersect(bounds)
		if a := b.Dx() * b.Dy(); a > area {
			best, area = b, a
		}
	}
	return best, area > 0
}

// cropAround is the part of the photo sent for the face in box: the box
// grown by CropMargin on each side, within bounds.
func cropAround(box, bounds image.Rectangle) image.Rectangle {
	dx, dy := int(CropMargin*float64(box.Dx())), int(CropMargin*float64(box.Dy()))
	return image.Rect(box.Min.X-dx, box.Min.Y-dy, box.Max.X+dx, box.Max.Y+dy).Intersect(bounds)
}

// FitsAt9600 is a capture cap (Config.MaxBytes) that crosses a 9600-baud
// line within the control panel's reassembly window.
const FitsAt9600 = 6144

const minBytes = 1024 // below this no JPEG of a face is left

// shrink makes the JPEG a terminal sends of the part r of img: at most
// maxSide pixels on its longest side and at most maxBytes, trying JPEG
// quality 85 down to 40 at each size, then 80 % of the size, as a terminal
// fits its capture to the line.
func shrink(img image.Image, r image.Rectangle, maxSide, maxBytes int) ([]byte, error) {
	side := min(maxSide, max(r.Dx(), r.Dy()))
	for {
		scale := float64(side) / float64(max(r.Dx(), r.Dy()))
		dst := image.NewRGBA(image.Rect(0, 0, max(1, int(float64(r.Dx())*scale)), max(1, int(float64(r.Dy())*scale))))
		draw.CatmullRom.Scale(dst, dst.Bounds(), img, r, draw.Src, nil)
		for q := 85; q >= 40; q -= 15 {
			var out bytes.Buffer
			if err := jpeg.Encode(&out, dst, &jpeg.Options{Quality: q}); err != nil {
				return nil, err
			}
			if out.Len() <= maxBytes || side <= 16 {
				return out.Bytes(), nil
			}
		}
		side = side * 4 / 5
	}
}
