//go:build !nodlib

package face

import (
	"context"
	"fmt"
	"sync"

	goface "github.com/Kagami/go-face"
)

// Embedder computes descriptors with one dlib recognizer.
type Embedder struct {
	cfg   Config
	rec   *goface.Recognizer
	queue chan *job
	quit  chan struct{}
	wg    sync.WaitGroup
	once  sync.Once
}

type job struct {
	img  []byte
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
	e := &Embedder{cfg: cfg, rec: rec, queue: make(chan *job, cfg.QueueLen), quit: make(chan struct{})}
	e.wg.Add(1)
	go e.work()
	return e, nil
}

func (e *Embedder) work() {
	defer e.wg.Done()
	for {
		select {
		case j := <-e.queue:
			faces, err := e.rec.Recognize(j.img)
			out := make([]Face, 0, len(faces))
			for _, f := range faces {
				out = append(out, Face{Descriptor: Descriptor(f.Descriptor), Box: f.Rectangle, Quality: quality(f.Rectangle)})
			}
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
	})
}

// Faces finds every face in a JPEG or PNG photo.
func (e *Embedder) Faces(ctx context.Context, img []byte) ([]Face, error) {
	data, err := prepare(img, &e.cfg)
	if err != nil {
		return nil, err
	}
	j := &job{img: data, done: make(chan result, 1)}
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
	faces, err := e.Faces(ctx, img)
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
