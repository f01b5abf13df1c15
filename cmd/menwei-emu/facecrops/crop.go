package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	_ "image/png" // photos may be PNG
	"slices"

	"golang.org/x/image/draw"

	"menwei/biometric/face"
)

// finder finds the faces in a photo: *face.Embedder.
type finder interface {
	Faces(ctx context.Context, img []byte) ([]face.Face, error)
}

// A crop is one face cut out of a photo, as a JPEG with that face alone.
type crop struct {
	N    int             // 1-based, faces ordered top to bottom, then left to right
	Box  image.Rectangle // the face in the photo
	JPEG []byte
}

// A skip is a face that could not be cut out alone, and why.
type skip struct {
	N   int
	Box image.Rectangle
	Why string
}

// Cropping. The crop around a face takes a margin of its box's size on each
// side, so the embedder sees the face as in a portrait; where that margin
// would take in part of another face, a narrower one is tried, down to the
// bare box. A crop whose face is smaller than minSide is enlarged (at most
// maxScale times): the embedder's detector misses small faces and its
// quality falls below 1 under 150 px.
var margins = [...]float64{0.6, 0.4, 0.25, 0.1, 0}

const (
	minSide  = 150
	maxScale = 4
	quality  = 90
)

// cropFaces finds the faces in photo and returns a crop of each that has it
// alone, checked: the finder, run on the crop, finds exactly one face. The
// faces that could not be cut out alone are returned as skips.
func cropFaces(ctx context.Context, f finder, photo []byte) ([]crop, []skip, error) {
	img, _, err := image.Decode(bytes.NewReader(photo))
	if err != nil {
		return nil, nil, fmt.Errorf("facecrops: decode: %w", err)
	}
	faces, err := f.Faces(ctx, photo)
	if err != nil {
		return nil, nil, fmt.Errorf("facecrops: find faces: %w", err)
	}
	slices.SortFunc(faces, func(a, b face.Face) int {
		return cmp.Or(cmp.Compare(a.Box.Min.Y, b.Box.Min.Y), cmp.Compare(a.Box.Min.X, b.Box.Min.X))
	})
	var (
		crops []crop
		skips []skip
	)
	for i, fc := range faces {
		n := i + 1
		r, ok := alone(fc.Box, faces, img.Bounds())
		if !ok {
			skips = append(skips, skip{n, fc.Box, "it overlaps another face"})
			continue
		}
		b, err := encode(img, r, fc.Box)
		if err != nil {
			return nil, nil, err
		}
		got, err := f.Faces(ctx, b)
		switch {
		case err != nil:
			return nil, nil, fmt.Errorf("facecrops: check crop %d: %w", n, err)
		case len(got) != 1:
			skips = append(skips, skip{n, fc.Box, fmt.Sprintf("the crop shows %d faces to the embedder", len(got))})
			continue
		}
		crops = append(crops, crop{N: n, Box: fc.Box, JPEG: b})
	}
	return crops, skips, nil
}

// alone returns the widest crop around box, inside bounds, that overlaps no
// other face's box.
func alone(box image.Rectangle, faces []face.Face, bounds image.Rectangle) (image.Rectangle, bool) {
	for _, m := range margins {
		dx, dy := int(m*float64(box.Dx())), int(m*float64(box.Dy()))
		r := image.Rect(box.Min.X-dx, box.Min.Y-dy, box.Max.X+dx, box.Max.Y+dy).Intersect(bounds)
		clear := !slices.ContainsFunc(faces, func(o face.Face) bool {
			return o.Box != box && o.Box.Overlaps(r)
		})
		if clear && !r.Empty() {
			return r, true
		}
	}
	return image.Rectangle{}, false
}

// encode cuts r out of img, enlarged so that the face box is at least
// minSide pixels on its shorter side (at most maxScale times), as a JPEG.
func encode(img image.Image, r, box image.Rectangle) ([]byte, error) {
	scale := 1.0
	if side := min(box.Dx(), box.Dy()); side > 0 && side < minSide {
		scale = min(float64(minSide)/float64(side), maxScale)
	}
	dst := image.NewRGBA(image.Rect(0, 0, int(float64(r.Dx())*scale), int(float64(r.Dy())*scale)))
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, r, draw.Src, nil)
	var out bytes.Buffer
	if err := jpeg.Encode(&out, dst, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("facecrops: encode: %w", err)
	}
	return out.Bytes(), nil
}
