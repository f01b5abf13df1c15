//go:build !linux

package serialporttest

import "time"

// sleepUntil sleeps d (on Linux, in the kernel: see sleep_linux.go).
func sleepUntil(d time.Duration) { time.Sleep(d) }
