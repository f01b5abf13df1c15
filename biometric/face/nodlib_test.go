//go:build nodlib

package face

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Built without dlib, the package says so clearly instead of failing later.
func TestUnavailableWithoutDlib(t *testing.T) {
	_, err := Open(Config{ModelDir: "anywhere"})
	assert.ErrorIs(t, err, ErrUnavailable)
	assert.Contains(t, err.Error(), "nodlib")
	var e *Embedder
	_, err = e.One(context.Background(), nil)
	assert.ErrorIs(t, err, ErrUnavailable)
}
