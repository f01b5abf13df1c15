//go:build !nodlib

package face

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"sync"

	goface "github.com/Kagami/go-face"
)

// Embedder computes descriptors with one dlib recognizer.
type Embedder struct {
	cfg   Config
	rec   *goface.Recognizer
	det   *detector // the worker's: faces found on a reduced copy (detect_dlib.go)
	queue chan *job
	quit  chan struct{}
	wg    sync.WaitGroup
	once  sync.Once
}

type job struct {
	img  []byte
	one  bool // for One: with several faces, their count is enough
	done chan result
}

type result struct {
	faces []Face
	err   error
}

// Open loads the models (once; it takes a few seconds) and starts the worker.
func Open(cfg Config) (*Embedder, error) {
	cfg.setDefaults()
	if err := cfg.checkModels(); err != nil {
		return nil, err
	}
	rec, err := goface.NewRecognizer(cfg.ModelDir)
	if err != nil {
		return nil, fmt.Errorf("face: load models from %s: %w", cfg.ModelDir, err)
	}
	det, err := newDetector()
	if err != nil {
		rec.Close()
		return nil, err
	}
	e := &Embedder{cfg: cfg, rec: rec, det: det, queue: make(chan *job, cfg.QueueLen), quit: make(chan struct{})}
	e.wg.Add(1)
	go e.work()
	return e, nil
}

func (e *Embedder) work() {
	defer e.wg.Done()
	for {
		select {
		case j := <-e.queue:
			out, err := e.recognize(j.img, j.one)
			j.done <- result{out, err}
		case <-e.quit:
			return
		}
	}
}

// Close stops the worker and frees the recognizer. Idempotent.
func (e *Embedder) Close() {
	e.once.Do(func() {
		close(e.quit)
		e.wg.Wait()
		e.rec.Close()
		e.det.close()
	})
}

// Faces finds every face in a JPEG or PNG photo.
func (e *Embedder) Faces(ctx context.Context, img []byte) ([]Face, error) {
	return e.faces(ctx, img, false)
}

func (e *Embedder) faces(ctx context.Context, img []byte, one bool) ([]Face, error) {
	data, err := prepare(img, &e.cfg)
	if err != nil {
		return nil, err
	}
	j := &job{img: data, one: one, done: make(chan result, 1)}
	select {
	case e.queue <- j:
	case <-e.quit:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	default:
		return nil, ErrBusy
	}
	select {
	case r := <-j.done:
		if r.err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNotImage, r.err)
		}
		return r.faces, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// One returns the descriptor of the only face in the photo.
func (e *Embedder) One(ctx context.Context, img []byte) (Face, error) {
	faces, err := e.faces(ctx, img, true)
	switch {
	case err != nil:
		return Face{}, err
	case len(faces) == 0:
		return Face{}, ErrNoFace
	case len(faces) > 1:
		return Face{}, fmt.Errorf("%w (%d)", ErrManyFaces, len(faces))
	}
	return faces[0], nil
}

// A photo whose longer side is above reduceAbove pixels is first searched
// for faces on a copy of about reducedSide pixels, decoded at that size
// (libjpeg's DCT scaling): dlib's face detector costs in proportion to the
// pixels it scans, most of a large photo's time. One face found there is
// then described from a crop of the full-resolution photo around it
// (cropMargin of the face's size on each side), so its descriptor comes
// from the same pixels as when the whole photo is described. A photo where
// the reduced copy shows no face (a face too small to find at that size),
// or whose crop does not show exactly one, is described whole, as go-face
// does.
const (
	reduceAbove = 800
	reducedSide = 720
	cropMargin  = 0.6
)

// recognize returns the faces of a JPEG: by the reduced copy when it can,
// else as go-face finds them in the whole photo. With one set, several
// faces on the reduced copy are returned without descriptors (One needs
// their count only).
func (e *Embedder) recognize(img []byte, one bool) ([]Face, error) {
	if faces, ok := e.reduced(img, one); ok {
		return faces, nil
	}
	return e.whole(img)
}

// whole is go-face's Recognize of the whole photo.
func (e *Embedder) whole(img []byte) ([]Face, error) {
	faces, err := e.rec.Recognize(img)
	out := make([]Face, 0, len(faces))
	for _, f := range faces {
		out = append(out, Face{Descriptor: Descriptor(f.Descriptor), Box: f.Rectangle, Quality: quality(f.Rectangle)})
	}
	return out, err
}

// reduced finds the faces on a reduced copy; ok is false when the photo
// must be described whole.
func (e *Embedder) reduced(img []byte, one bool) ([]Face, bool) {
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(img))
	long := max(cfg.Width, cfg.Height)
	if err != nil || long <= reduceAbove {
		return nil, false
	}
	num := min(7, (8*reducedSide+long-1)/long) // eighths of the size
	boxes, size, err := e.det.detect(img, num)
	if err != nil || len(boxes) == 0 || (len(boxes) > 1 && !one) || size.X == 0 || size.Y == 0 {
		return nil, false
	}
	sx, sy := float64(cfg.Width)/float64(size.X), float64(cfg.Height)/float64(size.Y)
	full := func(r image.Rectangle) image.Rectangle {
		return image.Rect(int(float64(r.Min.X)*sx), int(float64(r.Min.Y)*sy), int(float64(r.Max.X)*sx), int(float64(r.Max.Y)*sy))
	}
	if len(boxes) > 1 {
		out := make([]Face, len(boxes))
		for i, b := range boxes {
			out[i] = Face{Box: full(b), Quality: quality(full(b))}
		}
		return out, true
	}
	box := full(boxes[0])
	mx, my := int(cropMargin*float64(box.Dx())), int(cropMargin*float64(box.Dy()))
	area := image.Rect(box.Min.X-mx, box.Min.Y-my, box.Max.X+mx, box.Max.Y+my).Intersect(image.Rect(0, 0, cfg.Width, cfg.Height))
	part, err := cropJPEG(img, area, 95)
	if err != nil {
		return nil, false
	}
	faces, err := e.rec.Recognize(part)
	if err != nil || len(faces) != 1 {
		return nil, false
	}
	f := faces[0]
	b := f.Rectangle.Add(area.Min)
	return []Face{{Descriptor: Descriptor(f.Descriptor), Box: b, Quality: quality(b)}}, true
}
