// Package wiegandconv emulates a Wiegand-to-serial converter: the box that
// sits between an old Wiegand card reader and a serial port, and sends each
// card read as a line of text in one of the common framings (hex + CR,
// decimal + CRLF, STX…ETX). Scripted: swipe a card, swipe bits with a
// parity error, send noise.
package wiegandconv

import (
	"fmt"
	"io"
	"sync"

	"menwei/devices/wiegand"
)

// Converter writes framed card reads to its serial side.
type Converter struct {
	mu sync.Mutex
	w  io.Writer
	f  wiegand.Framer
}

// New returns a converter writing to w in framing f.
func New(w io.Writer, f wiegand.Framer) (*Converter, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return &Converter{w: w, f: f}, nil
}

// SwipeBits sends a read of exactly these bits (left-aligned in data), as
// the reader sent them: parity is not checked here.
func (c *Converter) SwipeBits(bits int, data []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err := c.w.Write(c.f.Append(nil, bits, data))
	return err
}

// Swipe sends a card given by its key ("h10301:1:1234", "c1000:12:3456",
// "raw:40:0102030405"…).
func (c *Converter) Swipe(key string) error {
	bits, data, err := wiegand.ParseKey(key)
	if err != nil {
		return err
	}
	return c.SwipeBits(bits, data)
}

// SwipeBadParity sends a card with its last bit flipped: a misread that
// fails the parity check.
func (c *Converter) SwipeBadParity(key string) error {
	bits, data, err := wiegand.ParseKey(key)
	if err != nil {
		return err
	}
	last := bits - 1
	data[last/8] ^= 0x80 >> (last % 8)
	return c.SwipeBits(bits, data)
}

// Noise writes bytes that are not a read (electrical noise on the line).
func (c *Converter) Noise(b []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err := c.w.Write(b)
	if err != nil {
		return fmt.Errorf("wiegandconv: %w", err)
	}
	return nil
}
