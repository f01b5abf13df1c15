//go:build nodlib

package face

import "context"

// Embedder is unavailable without dlib.
type Embedder struct{}

// Open reports ErrUnavailable: this binary was built with -tags nodlib.
func Open(Config) (*Embedder, error) { return nil, ErrUnavailable }

// Close does nothing.
func (e *Embedder) Close() {}

// Faces reports ErrUnavailable.
func (e *Embedder) Faces(context.Context, []byte) ([]Face, error) { return nil, ErrUnavailable }

// One reports ErrUnavailable.
func (e *Embedder) One(context.Context, []byte) (Face, error) { return Face{}, ErrUnavailable }
