package osdp

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Annex E check-character vectors.
func TestCRC16SpecVectors(t *testing.T) {
	tests := []struct {
		in   []byte
		want uint16 // as sent: low byte first
	}{
		{[]byte{0x53, 0x00, 0x09, 0x00, 0x04, 0x61, 0x00}, 0x66c0},
		{[]byte{0x53, 0x7f, 0x0d, 0x00, 0x04, 0x6e, 0x00, 0x80, 0x25, 0x00, 0x00}, 0x386e},
	}
	for _, tt := range tests {
		assert.Equalf(t, tt.want, CRC16(tt.in), "% x", tt.in)
	}
}

func TestChecksumSpecVector(t *testing.T) {
	assert.Equal(t, byte(0x44), Checksum([]byte{0x53, 0x00, 0x08, 0x00, 0x00, 0x61, 0x00}))
}
