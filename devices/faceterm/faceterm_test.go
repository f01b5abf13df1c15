package faceterm

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func vec(seed uint64) (v [128]float32) {
	r := rand.New(rand.NewPCG(seed, 1))
	for i := range v {
		v[i] = float32(r.NormFloat64() * 0.09)
	}
	return v
}

func TestDescriptorRoundTrip(t *testing.T) {
	d := Descriptor{Capture: Capture{ID: 513, Reader: 1, Liveness: 97, Quality: 80, Solicited: true}, Vector: vec(1)}
	b := AppendDescriptor(nil, d)
	require.Len(t, b, 8+512)
	assert.Equal(t, []byte{TypeDescriptor, Version, 0x01, 0x02, 1, 97, 80, 1}, b[:8], "header layout")
	got, err := Decode(b)
	require.NoError(t, err)
	assert.Equal(t, d, got)
}

func TestFragmentRoundTrip(t *testing.T) {
	f := Fragment{Capture: Capture{ID: 7, Liveness: LivenessUnknown, Quality: 50}, Total: 10, Offset: 4, Data: []byte{1, 2, 3}}
	b := AppendFragment(nil, f)
	assert.Equal(t, []byte{TypeJPEG, Version, 7, 0, 0, 255, 50, 0, 10, 0, 0, 0, 4, 0, 0, 0, 1, 2, 3}, b)
	got, err := Decode(b)
	require.NoError(t, err)
	assert.Equal(t, f, got)
}

func TestDecodeErrors(t *testing.T) {
	good := AppendDescriptor(nil, Descriptor{Vector: vec(2)})
	bad := func(edit func([]byte) []byte) []byte { return edit(append([]byte(nil), good...)) }
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrShort},
		{"header only", good[:8], ErrShort},
		{"descriptor cut", good[:100], ErrShort},
		{"version", bad(func(b []byte) []byte { b[1] = 9; return b }), ErrVersion},
		{"type", bad(func(b []byte) []byte { b[0] = 9; return b }), ErrType},
		{"liveness", bad(func(b []byte) []byte { b[5] = 101; return b }), ErrValue},
		{"quality", bad(func(b []byte) []byte { b[6] = 200; return b }), ErrValue},
		{"flags", bad(func(b []byte) []byte { b[7] = 2; return b }), ErrValue},
		{"NaN", bad(func(b []byte) []byte { copy(b[8:], []byte{0, 0, 0xc0, 0x7f}); return b }), ErrValue},
		{"fragment past total", AppendFragment(nil, Fragment{Total: 3, Offset: 2, Data: []byte{1, 2}}), ErrValue},
		{"empty fragment", AppendFragment(nil, Fragment{Total: 3}), ErrValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.b)
			assert.ErrorIs(t, err, tt.want)
		})
	}
}

func TestReassembly(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)
	jpeg := bytes.Repeat([]byte("JPEGDATA"), 500) // 4000 bytes
	c := Capture{ID: 1, Liveness: 90, Quality: 70}
	frags := Split(c, jpeg, 1000)
	require.Len(t, frags, 4)

	var r Reassembler
	for i, f := range frags {
		got, cap, err := r.Add(t0, "pd101", f)
		require.NoError(t, err)
		if i < 3 {
			assert.Nil(t, got)
		} else {
			assert.Equal(t, jpeg, got)
			assert.Equal(t, c, cap)
		}
	}
	assert.Zero(t, r.Pending())

	t.Run("out of order", func(t *testing.T) {
		var r Reassembler
		_, _, err := r.Add(t0, "pd", frags[0])
		require.NoError(t, err)
		_, _, err = r.Add(t0, "pd", frags[2])
		assert.ErrorIs(t, err, ErrOutOfOrder)
		_, _, err = r.Add(t0, "pd", frags[3])
		assert.ErrorIs(t, err, ErrDropped, "the capture was dropped: said once")
		assert.Zero(t, r.Pending())
	})
	t.Run("oversize", func(t *testing.T) {
		r := Reassembler{MaxSize: 2000}
		_, _, err := r.Add(t0, "pd", frags[0])
		assert.ErrorIs(t, err, ErrTooLarge)
	})
	t.Run("stale", func(t *testing.T) {
		r := Reassembler{Timeout: time.Second}
		_, _, err := r.Add(t0, "pd", frags[0])
		require.NoError(t, err)
		_, _, err = r.Add(t0.Add(2*time.Second), "pd", frags[1])
		assert.ErrorIs(t, err, ErrStale)
		_, _, err = r.Add(t0.Add(2*time.Second), "pd", frags[2])
		assert.ErrorIs(t, err, ErrDropped)
		assert.Zero(t, r.Pending())
		_, _, err = r.Add(t0.Add(2*time.Second), "pd", frags[0])
		assert.NoError(t, err, "the id may start a new capture")
	})
	t.Run("sources are separate", func(t *testing.T) {
		var r Reassembler
		_, _, err := r.Add(t0, "a", frags[0])
		require.NoError(t, err)
		_, _, err = r.Add(t0, "b", frags[1])
		assert.ErrorIs(t, err, ErrOutOfOrder)
		_, _, err = r.Add(t0, "a", frags[1])
		assert.NoError(t, err)
	})
	t.Run("too many at once", func(t *testing.T) {
		r := Reassembler{MaxPending: 2}
		for id := range uint16(3) {
			f := frags[0]
			f.ID = id
			_, _, err := r.Add(t0, "pd", f)
			if id < 2 {
				require.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, ErrTooLarge)
			}
		}
	})
	t.Run("total changes", func(t *testing.T) {
		var r Reassembler
		_, _, err := r.Add(t0, "pd", frags[0])
		require.NoError(t, err)
		f := frags[1]
		f.Total++
		_, _, err = r.Add(t0, "pd", f)
		assert.ErrorIs(t, err, ErrMismatch)
	})
}

func TestTemplateAndScore(t *testing.T) {
	v := vec(3)
	got, err := ParseTemplate(AppendTemplate(nil, v))
	require.NoError(t, err)
	assert.Equal(t, v, got)
	_, err = ParseTemplate(make([]byte, 10))
	assert.ErrorIs(t, err, ErrShort)
	assert.Equal(t, byte(255), Score(0))
	assert.Equal(t, byte(0), Score(1.2))
	assert.Equal(t, byte(127), Score(0.5))
}

func FuzzDecode(f *testing.F) {
	f.Add(AppendDescriptor(nil, Descriptor{Vector: vec(4)}))
	f.Add(AppendFragment(nil, Fragment{Total: 10, Offset: 0, Data: []byte("0123456789")}))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			return
		}
		var again []byte
		switch m := m.(type) {
		case Descriptor:
			again = AppendDescriptor(nil, m)
		case Fragment:
			again = AppendFragment(nil, m)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("round trip:\n% x\n% x", again, b)
		}
	})
}

func FuzzReassemble(f *testing.F) {
	f.Add(uint16(1), uint32(10), uint32(0), []byte("01234"), uint32(5), []byte("56789"))
	f.Fuzz(func(t *testing.T, id uint16, total, off1 uint32, d1 []byte, off2 uint32, d2 []byte) {
		r := Reassembler{MaxSize: 1 << 16}
		t0 := time.Unix(0, 0)
		for _, fr := range []Fragment{{Capture: Capture{ID: id}, Total: total, Offset: off1, Data: d1}, {Capture: Capture{ID: id}, Total: total, Offset: off2, Data: d2}} {
			b, err := Decode(AppendFragment(nil, fr))
			if err != nil {
				continue
			}
			got, _, err := r.Add(t0, "pd", b.(Fragment))
			if err == nil && got != nil && uint32(len(got)) != total {
				t.Fatalf("reassembled %d bytes, total %d", len(got), total)
			}
		}
	})
}
