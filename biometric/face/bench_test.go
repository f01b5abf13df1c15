//go:build !nodlib

package face

import (
	"context"
	"slices"
	"testing"
	"time"

	goface "github.com/Kagami/go-face"
	"github.com/stretchr/testify/require"
)

// BenchmarkEmbed compares a photo → descriptor through the Embedder (size
// and format checks, the bounded queue and its worker) with bare go-face on
// the same image and the same models, alternated within the run: every op
// is one bare go-face Recognize then one Embedder.One, each timed, so both
// see the same machine minute by minute. It reports the medians (bare-ms,
// embedder-ms) and their ratio (embedder/bare, the row's figure: below 1
// is faster than go-face). ns/op is the pair.
func BenchmarkEmbed(b *testing.B) {
	img := photo(b, "sample2.jpg") // one face
	rec, err := goface.NewRecognizer(cacheDir(b, "models"))
	require.NoError(b, err)
	defer rec.Close()
	e := embedder(b)
	ctx := context.Background()
	var bare, emb []time.Duration
	for b.Loop() {
		t0 := time.Now()
		faces, err := rec.Recognize(img)
		if err != nil || len(faces) != 1 {
			b.Fatalf("%d faces, %v", len(faces), err)
		}
		t1 := time.Now()
		if _, err := e.One(ctx, img); err != nil {
			b.Fatal(err)
		}
		bare, emb = append(bare, t1.Sub(t0)), append(emb, time.Since(t1))
	}
	median := func(ds []time.Duration) float64 {
		slices.Sort(ds)
		return float64(ds[len(ds)/2].Microseconds()) / 1e3
	}
	mb, me := median(bare), median(emb)
	b.ReportMetric(mb, "bare-ms")
	b.ReportMetric(me, "embedder-ms")
	b.ReportMetric(me/mb, "ratio")
}
