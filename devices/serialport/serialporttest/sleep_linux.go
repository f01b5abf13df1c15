package serialporttest

import (
	"time"

	"golang.org/x/sys/unix"
)

// kernelSleep sleeps d in the kernel (nanosleep), which wakes within tens
// of microseconds where the runtime's timers take about a millisecond.
func kernelSleep(d time.Duration) {
	if d <= 0 {
		return
	}
	ts := unix.NsecToTimespec(d.Nanoseconds())
	for unix.Nanosleep(&ts, &ts) == unix.EINTR {
	}
}
