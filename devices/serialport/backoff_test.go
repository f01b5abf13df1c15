package serialport

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestBackoffCeilings(t *testing.T) {
	// With rand pinned at 1, next returns the ceiling itself.
	b := backoff{min: 100 * time.Millisecond, max: time.Second, rand: func() float64 { return 1 }}
	want := []time.Duration{100, 200, 400, 800, 1000, 1000, 1000}
	for i, w := range want {
		assert.Equal(t, w*time.Millisecond, b.next(), "attempt %d", i)
	}
	b.reset()
	assert.Equal(t, 100*time.Millisecond, b.next(), "after reset")
}

func TestBackoffManyAttemptsDoNotOverflow(t *testing.T) {
	b := backoff{min: time.Nanosecond, max: time.Hour, rand: func() float64 { return 1 }}
	for range 200 {
		b.next()
	}
	assert.Equal(t, time.Hour, b.next())
}

func TestBackoffJitter(t *testing.T) {
	b := backoff{min: 100 * time.Millisecond, max: 5 * time.Second, rand: rand.Float64}
	ceilings := []time.Duration{100, 200, 400, 800, 1600, 3200, 5000, 5000}
	const samples = 200
	for i, c := range ceilings {
		ceiling := c * time.Millisecond
		seen := map[time.Duration]bool{}
		for range samples {
			b.attempt = i
			d := b.next()
			assert.GreaterOrEqual(t, d, time.Duration(0), "attempt %d", i)
			assert.LessOrEqual(t, d, ceiling, "attempt %d", i)
			seen[d] = true
		}
		assert.Greater(t, len(seen), samples/2, "attempt %d: delays are not jittered", i)
	}
}
