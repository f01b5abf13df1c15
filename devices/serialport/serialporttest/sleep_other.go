//go:build !linux

package serialporttest

import "time"

// kernelSleep sleeps d (on Linux, in the kernel: see sleep_linux.go).
func kernelSleep(d time.Duration) { time.Sleep(d) }
