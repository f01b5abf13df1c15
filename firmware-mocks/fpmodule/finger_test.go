package fpmodule

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFingerIsDeterministic(t *testing.T) {
	assert.Equal(t, Finger(7), Finger(7))
	assert.NotEqual(t, Finger(7)[headerLen:], Finger(8)[headerLen:])
	id, ok := fingerOf(Finger(123456))
	assert.True(t, ok)
	assert.Equal(t, 123456, id)
}

func TestCapturesFlipDifferentBytes(t *testing.T) {
	ref := Finger(7)
	seen := map[int]int{}
	for n := 1; n <= 100; n++ {
		c := charFile(7, n)
		assert.Equal(t, byte(kindChar), c[2])
		for i := headerLen; i < TemplateSize; i++ {
			if c[i] != ref[i] {
				seen[i]++
			}
		}
	}
	assert.Len(t, seen, 100*noisyBytes, "no byte flipped twice in 100 captures")
}

func TestScoreAndMerge(t *testing.T) {
	a, b := charFile(7, 1), charFile(7, 2)
	s, ok := score(a, b)
	assert.True(t, ok)
	assert.Equal(t, uint16(160), s)
	merged, ok := merge(a, b)
	assert.True(t, ok)
	assert.Equal(t, Finger(7), merged)

	_, ok = score(a, charFile(8, 3))
	assert.False(t, ok)
	_, ok = merge(a, charFile(8, 3))
	assert.False(t, ok)
	_, ok = score(a, nil)
	assert.False(t, ok)
	_, ok = score(a, make([]byte, TemplateSize))
	assert.False(t, ok)
}
