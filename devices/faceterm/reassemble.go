package faceterm

import (
	"errors"
	"fmt"
	"time"
)

// Reassembly errors. Each drops the capture it concerns.
var (
	ErrTooLarge   = errors.New("faceterm: capture larger than the limit")
	ErrOutOfOrder = errors.New("faceterm: fragment out of order")
	ErrStale      = errors.New("faceterm: capture timed out")
	ErrMismatch   = errors.New("faceterm: fragment does not match its capture")
	// ErrDropped: a later fragment of a capture already refused. Callers
	// need not report it again.
	ErrDropped = errors.New("faceterm: fragment of a dropped capture")
)

// Reassembler puts JPEG captures back together. Fragments of one capture
// must arrive in order (OSDP delivers replies in order; a gap means one was
// lost and the capture is dropped). Each source (a PD) has its own captures.
type Reassembler struct {
	MaxSize    int           // 0 = 512 KiB
	Timeout    time.Duration // 0 = ReassemblyWindow (10s) from the first fragment
	MaxPending int           // 0 = 4 captures in progress per source

	pending map[key]*partial
	expired map[key]time.Time // recently expired captures, to name their late fragments
	dropped map[key]time.Time // recently refused captures: their other fragments are ignored
}

type key struct {
	source string
	id     uint16
}

type partial struct {
	capture Capture
	total   uint32
	buf     []byte
	started time.Time
}

func (r *Reassembler) limits() (int, time.Duration, int) {
	size, to, n := r.MaxSize, r.Timeout, r.MaxPending
	if size == 0 {
		size = 512 << 10
	}
	if to == 0 {
		to = ReassemblyWindow
	}
	if n == 0 {
		n = 4
	}
	return size, to, n
}

// Add takes a fragment from source. It returns the whole JPEG and its
// capture when the last fragment arrives, nil while more are needed, or an
// error when the fragment is refused (the capture is then dropped).
func (r *Reassembler) Add(now time.Time, source string, f Fragment) ([]byte, Capture, error) {
	maxSize, _, maxPending := r.limits()
	if r.pending == nil {
		r.pending = map[key]*partial{}
	}
	r.Expire(now)
	k := key{source, f.ID}
	if _, ok := r.dropped[k]; ok && f.Offset != 0 {
		return nil, f.Capture, ErrDropped
	}
	delete(r.dropped, k) // a new capture reusing the id
	p := r.pending[k]
	data, c, err := r.add(now, k, p, f, maxSize, maxPending)
	if err != nil {
		if r.dropped == nil {
			r.dropped = map[key]time.Time{}
		}
		r.dropped[k] = now
	}
	return data, c, err
}

func (r *Reassembler) add(now time.Time, k key, p *partial, f Fragment, maxSize, maxPending int) ([]byte, Capture, error) {
	source := k.source
	switch {
	case int64(f.Total) > int64(maxSize):
		delete(r.pending, k)
		return nil, f.Capture, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, f.Total, maxSize)
	case p == nil && f.Offset != 0 && !r.expired[k].IsZero():
		return nil, f.Capture, fmt.Errorf("%w: capture %d", ErrStale, f.ID)
	case p == nil && f.Offset != 0:
		return nil, f.Capture, fmt.Errorf("%w: capture %d starts at offset %d (its start was lost or it expired)", ErrOutOfOrder, f.ID, f.Offset)
	case p == nil:
		n := 0
		for pk := range r.pending {
			if pk.source == source {
				n++
			}
		}
		if n >= maxPending {
			return nil, f.Capture, fmt.Errorf("%w: %d captures already in progress", ErrTooLarge, n)
		}
		p = &partial{capture: f.Capture, total: f.Total, buf: make([]byte, 0, f.Total), started: now}
		r.pending[k] = p
	case f.Total != p.total || f.Reader != p.capture.Reader:
		delete(r.pending, k)
		return nil, f.Capture, fmt.Errorf("%w: capture %d", ErrMismatch, f.ID)
	case int(f.Offset) != len(p.buf):
		delete(r.pending, k)
		return nil, f.Capture, fmt.Errorf("%w: capture %d wants offset %d, got %d", ErrOutOfOrder, f.ID, len(p.buf), f.Offset)
	}
	p.buf = append(p.buf, f.Data...)
	if uint32(len(p.buf)) < p.total {
		return nil, p.capture, nil
	}
	delete(r.pending, k)
	return p.buf, p.capture, nil
}

// Expire drops captures that took longer than the timeout and reports how
// many it dropped.
func (r *Reassembler) Expire(now time.Time) int {
	_, timeout, _ := r.limits()
	if r.expired == nil {
		r.expired = map[key]time.Time{}
	}
	n := 0
	for k, p := range r.pending {
		if now.Sub(p.started) > timeout {
			delete(r.pending, k)
			r.expired[k] = now
			n++
		}
	}
	for k, at := range r.expired { // remember them for one more timeout
		if now.Sub(at) > timeout {
			delete(r.expired, k)
		}
	}
	for k, at := range r.dropped {
		if now.Sub(at) > timeout {
			delete(r.dropped, k)
		}
	}
	return n
}

// Pending is the number of captures in progress.
func (r *Reassembler) Pending() int { return len(r.pending) }
