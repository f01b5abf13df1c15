package faceindex

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// refScan is the block scan written from its definition: slot i of a
// block reads its byte of every row at position(i), and adds the entries
// of its two nibbles.
func refScan(t *lut8, codes []byte, thr uint16, nblocks int) (scores []uint16, masks []uint32) {
	for b := range nblocks {
		var m uint32
		for i := range blockSize {
			s := 0
			for k := range codeRows {
				c := codes[b*blockBytes+k*blockSize+position(i)]
				s += int(t.e[2*k][c&15]) + int(t.e[2*k+1][c>>4])
			}
			scores = append(scores, uint16(s))
			if s <= int(thr) {
				m |= 1 << i
			}
		}
		masks = append(masks, m)
	}
	return scores, masks
}

func TestPositionIsAPermutation(t *testing.T) {
	seen := map[int]bool{}
	for i := range blockSize {
		p := position(i)
		require.True(t, p >= 0 && p < blockSize && !seen[p], "slot %d at %d", i, p)
		seen[p] = true
	}
}

// TestKernelsAgree runs every kernel this machine has on random and
// adversarial tables and codes and compares scores and masks with the
// reference, and lut8.score8 too.
func TestKernelsAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(50, 50))
	type input struct {
		name  string
		fillE func(j, c int) uint8
		code  func(i int) byte
		thrs  []uint16
	}
	random := func(int, int) uint8 { return uint8(r.UintN(256)) }
	inputs := []input{
		{"random", random, func(int) byte { return byte(r.UintN(256)) }, []uint16{0, uint16(r.UintN(33151)), 16000, 33150, math.MaxUint16}},
		{"all codes and entries at their maximum", func(int, int) uint8 { return 255 }, func(int) byte { return 0xff }, []uint16{0, 33149, 33150, 33151, math.MaxUint16}},
		{"all zero", func(int, int) uint8 { return 0 }, func(int) byte { return 0 }, []uint16{0, 1, math.MaxUint16}},
		{"only the last level at 255", func(_, c int) uint8 { return uint8(255 * (c / 15)) }, func(i int) byte { return []byte{0xff, 0x0f, 0xf0, 0x00}[i%4] }, []uint16{0, 16575, 16576, 33150}},
		{"alternating extremes", func(j, c int) uint8 { return uint8(255 * ((j + c) % 2)) }, func(int) byte { return byte(r.UintN(256)) }, []uint16{0, 16575, 33150}},
		{"high nibbles only", func(j, _ int) uint8 { return uint8(255 * (j % 2)) }, func(int) byte { return byte(r.UintN(16)) << 4 }, []uint16{0, 16575, 16576}},
	}
	ks := kernels()
	t.Logf("kernels: %v", func() (names []string) {
		for _, k := range ks {
			names = append(names, k.name)
		}
		return
	}())
	for _, in := range inputs {
		for _, nblocks := range []int{1, 3, 4, 5, 8, 13} {
			var tab lut8
			for j := range tab.e {
				for c := range tab.e[j] {
					tab.e[j][c] = in.fillE(j, c)
				}
			}
			tab.expand(true)
			codes := make([]byte, nblocks*blockBytes)
			for i := range codes {
				codes[i] = in.code(i)
			}
			for _, thr := range in.thrs {
				wantS, wantM := refScan(&tab, codes, thr, nblocks)
				for i := range nblocks * blockSize {
					require.Equal(t, wantS[i], tab.score8(codes[i>>blockBits*blockBytes:], i&blockMask), "%s: score8 of slot %d", in.name, i)
				}
				for _, k := range ks {
					scores := make([]uint16, nblocks*blockSize)
					masks := make([]uint32, nblocks)
					k.scan(&tab, codes, thr, scores, masks)
					where := fmt.Sprintf("%s, %d blocks, thr %d, kernel %s", in.name, nblocks, thr, k.name)
					require.Equal(t, wantS, scores, where)
					require.Equal(t, wantM, masks, where)
				}
			}
		}
	}
}

// TestBound8 checks the 8-bit bound against the exact distance, descriptor
// by descriptor, for random and dlib-shaped descriptors and odd queries:
// S/inv + base ≤ |q − x|² whenever no grid code is unbounded.
func TestBound8(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 51))
	for _, tt := range []struct {
		name    string
		entries []Entry
	}{
		{"clustered", population(52, 3000, 5, 0.3)},
		{"dlib-like", dlibLike(r, 3000, 4)},
		{"tiny", population(53, 20, 2, 0.3)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			x, err := New(Config{})
			require.NoError(t, err)
			require.NoError(t, x.Load(slices.Values(tt.entries)))
			s := x.snap.Load()
			qs := queries(r, tt.entries, 30)
			qs = append(qs, Descriptor{}, func() (d Descriptor) {
				for i := range d {
					d[i] = 3 * float32(r.NormFloat64())
				}
				return d
			}())
			var l lut
			var buf Descriptor
			checked, tightest := 0, math.Inf(1)
			for _, q := range qs {
				l.build(s.q, &q, false)
				for slot := range uint32(s.n) {
					ch, off := s.chunks[slot>>chunkBits], int(slot&chunkMask)
					if ch.aux[2*off] == unbounded || ch.aux[2*off+1] == unbounded {
						continue
					}
					d := s.descriptor(slot, &buf)
					var exact float64
					for i := range d {
						exact += (float64(q[i]) - float64(d[i])) * (float64(q[i]) - float64(d[i]))
					}
					s8 := l.t8.score8(ch.block(off), off&blockMask)
					bound := float64(s8)/l.t8.inv + l.t8.base
					require.LessOrEqual(t, bound, exact, "slot %d", slot)
					// A sum above the threshold for exact means farther.
					require.LessOrEqual(t, s8, l.t8.threshold(exact), "slot %d", slot)
					checked++
					tightest = min(tightest, exact-bound)
				}
			}
			t.Logf("%d pairs, smallest slack %.3g", checked, tightest)
		})
	}
}
