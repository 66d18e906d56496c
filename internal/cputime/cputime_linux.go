//go:build linux

package cputime

import (
	"runtime"
	"syscall"
	"time"
	"unsafe"
)

// clockThreadCPUTime is CLOCK_THREAD_CPUTIME_ID of clock_gettime(2).
const clockThreadCPUTime = 3

// Thread locks the calling goroutine to its thread and returns a clock of
// the CPU time that thread has used, and a func that unlocks it. If the
// kernel refuses the clock, now falls back to monotonic wall time.
func Thread() (now func() time.Duration, release func()) {
	runtime.LockOSThread()
	start := time.Now()
	return func() time.Duration {
		var ts syscall.Timespec
		if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
			return time.Since(start)
		}
		return time.Duration(ts.Nano())
	}, runtime.UnlockOSThread
}
