package serialport

import "time"

// backoff computes reconnect delays: exponential growth with full jitter,
// delay = rand * min(max, min*2^attempt), and a reset after success.
type backoff struct {
	min, max time.Duration
	rand     func() float64 // in [0, 1)
	attempt  int
}

// next returns the delay before the next attempt and counts the attempt.
func (b *backoff) next() time.Duration {
	ceiling := b.min
	for i := 0; i < b.attempt && ceiling < b.max; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, b.max)
	b.attempt++
	return time.Duration(b.rand() * float64(ceiling))
}

// reset starts the next run of failures from the shortest delay again.
func (b *backoff) reset() { b.attempt = 0 }
