package fpmodule

import (
	"encoding/binary"
	"math/rand/v2"
)

// TemplateSize is the size of the module's char files and templates, as an
// R307 uploads them.
const TemplateSize = 512

// Char file and template layout (this emulator's, not the R307's, which is
// undocumented):
//
//	0..1    'F' 'P'
//	2       kind: 1 char file (one capture), 2 template (merged)
//	3       0
//	4..7    finger id, big endian
//	8..15   0
//	16..511 body: bytes drawn from a generator seeded with the finger id
const (
	headerLen    = 16
	kindChar     = 1
	kindTemplate = 2
	noisyBytes   = 4    // body bytes a capture flips
	noiseStride  = 131  // prime to the body length, so captures flip different bytes
	noiseMask    = 0x5A // what a flip XORs in
	maxScore     = 200
	minScore     = 50
	scorePerByte = 5
)

// Finger returns the template of finger id: what RegModel makes of two
// captures of it, and what Search finds in the library. Ids are taken
// modulo 2^32.
func Finger(id int) []byte {
	b := make([]byte, TemplateSize)
	b[0], b[1], b[2] = 'F', 'P', kindTemplate
	binary.BigEndian.PutUint32(b[4:], uint32(id))
	r := rand.New(rand.NewPCG(uint64(uint32(id)), 0x66706d6f64756c65))
	for i := headerLen; i < len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], r.Uint64())
	}
	return b
}

// charFile is the char file Img2Tz makes of capture number n of finger id.
func charFile(id, n int) []byte {
	b := Finger(id)
	b[2] = kindChar
	body := TemplateSize - headerLen
	for k := range noisyBytes {
		b[headerLen+(n*noisyBytes+k)*noiseStride%body] ^= noiseMask
	}
	return b
}

// fingerOf reads the finger id from a char file or template, false when b
// is not one.
func fingerOf(b []byte) (int, bool) {
	if len(b) != TemplateSize || b[0] != 'F' || b[1] != 'P' ||
		(b[2] != kindChar && b[2] != kindTemplate) {
		return 0, false
	}
	return int(binary.BigEndian.Uint32(b[4:])), true
}

// score compares two char files or templates: 50..200 for the same
// finger, false otherwise.
func score(a, b []byte) (uint16, bool) {
	fa, ok := fingerOf(a)
	if fb, okb := fingerOf(b); !ok || !okb || fa != fb {
		return 0, false
	}
	diff := 0
	for i := headerLen; i < TemplateSize; i++ {
		if a[i] != b[i] {
			diff++
		}
	}
	return uint16(max(minScore, maxScore-scorePerByte*diff)), true
}

// merge combines two char files of one finger into its template: the bytes
// they agree on are kept, the others restored. False when they are not of
// one finger.
func merge(a, b []byte) ([]byte, bool) {
	fa, ok := fingerOf(a)
	if fb, okb := fingerOf(b); !ok || !okb || fa != fb {
		return nil, false
	}
	ref := Finger(fa)
	out := append([]byte(nil), a...)
	out[2] = kindTemplate
	for i := headerLen; i < TemplateSize; i++ {
		if a[i] != b[i] {
			out[i] = ref[i]
		}
	}
	return out, true
}
