//go:build !amd64 || purego

package faceindex

// kernels returns the kernels this machine runs, the fastest first.
func kernels() []*kernel { return []*kernel{&goKernel} }
