package controller

import (
	"bytes"
	"image"
	"image/jpeg"

	"golang.org/x/image/draw"
)

// cropFace cuts the face (with a margin) out of a photo and shrinks it to
// at most 160 px, as a JPEG of a few kilobytes.
func cropFace(photo []byte, box image.Rectangle) ([]byte, error) {
	img, _, err := image.Decode(bytes.NewReader(photo))
	if err != nil {
		return nil, err
	}
	pad := box.Dx() / 3
	r := image.Rect(box.Min.X-pad, box.Min.Y-pad, box.Max.X+pad, box.Max.Y+pad).Intersect(img.Bounds())
	if r.Empty() {
		r = img.Bounds()
	}
	scale := min(1, 160/float64(max(r.Dx(), r.Dy())))
	dst := image.NewRGBA(image.Rect(0, 0, max(1, int(float64(r.Dx())*scale)), max(1, int(float64(r.Dy())*scale))))
	draw.ApproxBiLinear.Scale(dst, dst.Bounds(), img, r, draw.Src, nil)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 80}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
