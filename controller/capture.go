package controller

import (
	"context"
	"errors"
	"fmt"
	"time"

	"menwei/controller/store"
	"menwei/devices/osdp"
)

// Capturing a card at a reader, for the property office to enrol it: the
// next card read at that reader is handed to the waiting caller instead of
// being judged. It opens nothing — a captured read is not an access
// attempt, so no door is released and no grant or denial is recorded;
// the reader beeps once (amber) so the person holding the card knows it
// was read, and the log records a card.captured event with the card's
// masked hint and ref (never its number). Any reader of a PD or a
// converter may be used, one assigned to no door included (a desk reader
// in the property office).

// KindCardCaptured is the event of a card read handed to a capture (see
// CaptureCard): not judged; the card by its hint and ref only.
const KindCardCaptured = "card.captured"

// Capture errors.
var (
	ErrCaptureBusy    = errors.New("controller: a capture is already waiting at this reader")
	ErrCaptureTimeout = errors.New("controller: no card was presented")
)

type captureKey struct {
	src    source
	reader int
}

// CaptureCard waits up to wait (at most a minute) for the next card read
// at reader n of the PD or converter named, and returns it. A bad read
// (parity) is ignored and the wait goes on.
func (c *Controller) CaptureCard(ctx context.Context, name string, n int, wait time.Duration) (store.Card, error) {
	var src source
	if k, ok := c.pdAt[name]; ok {
		src = pdSource(k)
	} else if c.isConverter(name) {
		src = converterSource(name)
	} else {
		return store.Card{}, fmt.Errorf("%w: reader %q", store.ErrNotFound, name)
	}
	if n < 0 || n > 255 {
		return store.Card{}, fmt.Errorf("%w: reader number %d: 0…255", store.ErrBadRequest, n)
	}
	wait = min(max(wait, time.Second), time.Minute)
	key := captureKey{src, n}
	ch := make(chan store.Card, 1)
	c.captureMu.Lock()
	if c.captures == nil {
		c.captures = map[captureKey]chan store.Card{}
	}
	if _, busy := c.captures[key]; busy {
		c.captureMu.Unlock()
		return store.Card{}, ErrCaptureBusy
	}
	c.captures[key] = ch
	c.captureMu.Unlock()
	defer func() {
		c.captureMu.Lock()
		if c.captures[key] == ch {
			delete(c.captures, key)
		}
		c.captureMu.Unlock()
	}()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case card := <-ch:
		return card, nil
	case <-t.C:
		return store.Card{}, ErrCaptureTimeout
	case <-ctx.Done():
		return store.Card{}, ctx.Err()
	}
}

func (c *Controller) isConverter(name string) bool {
	for _, cv := range c.cfg.Converters {
		if cv.Name == name {
			return true
		}
	}
	return false
}

// captured hands a read to a capture waiting at its reader, if any, and
// reports whether it did (the read is then not judged).
func (c *Controller) captured(ctx context.Context, src source, raw osdp.Raw) bool {
	key := captureKey{src, int(raw.Reader)}
	c.captureMu.Lock()
	ch, ok := c.captures[key]
	if !ok {
		c.captureMu.Unlock()
		return false
	}
	card, err := store.CardFromBits(int(raw.Bits), raw.Data)
	if err != nil {
		c.captureMu.Unlock()
		return true // a bad read while capturing: not an access attempt either
	}
	delete(c.captures, key)
	c.captureMu.Unlock()
	ch <- card // buffered, and only this read takes the entry
	c.prompt(ctx, readerRef{src: src, reader: int(raw.Reader)})
	c.record(ctx, Event{Kind: KindCardCaptured, PD: c.sourceName(src), Card: card.Hint(), CardRef: card.Ref(),
		Detail: fmt.Sprintf("reader %d: captured for enrolment, not judged", raw.Reader)})
	return true
}

// Capturing reports whether a capture waits at reader n of the PD or
// converter named (for status pages and tests).
func (c *Controller) Capturing(name string, n int) bool {
	src := converterSource(name)
	if k, ok := c.pdAt[name]; ok {
		src = pdSource(k)
	}
	c.captureMu.Lock()
	defer c.captureMu.Unlock()
	_, ok := c.captures[captureKey{src, n}]
	return ok
}
