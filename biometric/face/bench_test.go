//go:build !nodlib

package face

import (
	"context"
	"testing"

	goface "github.com/Kagami/go-face"
	"github.com/stretchr/testify/require"
)

// BenchmarkEmbed compares a photo → descriptor through the Embedder (size
// and format checks, the bounded queue and its worker) with bare go-face on
// the same image and the same models.
func BenchmarkEmbed(b *testing.B) {
	img := photo(b, "sample2.jpg") // one face
	models := cacheDir(b, "models")

	b.Run("bare-go-face", func(b *testing.B) {
		rec, err := goface.NewRecognizer(models)
		require.NoError(b, err)
		defer rec.Close()
		for b.Loop() {
			faces, err := rec.Recognize(img)
			if err != nil || len(faces) != 1 {
				b.Fatalf("%d faces, %v", len(faces), err)
			}
		}
	})
	b.Run("embedder", func(b *testing.B) {
		e := embedder(b)
		ctx := context.Background()
		for b.Loop() {
			if _, err := e.One(ctx, img); err != nil {
				b.Fatal(err)
			}
		}
	})
}
