//go:build !purego

package faceindex

import "golang.org/x/sys/cpu"

//go:generate go run -C _asm . -out ../kernel_amd64.s -stubs ../kernel_stub_amd64.go -pkg faceindex

var avx2Kernel = kernel{
	name: "avx2",
	scan: func(t *lut8, codes []byte, thr uint16, scores []uint16, masks []uint32) {
		if len(codes) < len(masks)*blockBytes || len(scores) < len(masks)*blockSize {
			panic("faceindex: short scan buffers")
		}
		scanBlocksAVX2(&t.tab, codes, thr, scores, masks)
	},
}

// kernels returns the kernels this machine runs, the fastest first.
func kernels() []*kernel {
	if cpu.X86.HasAVX2 {
		return []*kernel{&avx2Kernel, &goKernel}
	}
	return []*kernel{&goKernel}
}
