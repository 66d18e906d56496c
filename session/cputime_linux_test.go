package session_test

import (
	"runtime"
	"syscall"
	"time"
	"unsafe"
)

// clockThreadCPUTime is CLOCK_THREAD_CPUTIME_ID of clock_gettime(2).
const clockThreadCPUTime = 3

// threadClock returns a clock of the CPU time the calling goroutine's
// thread has used, and a func that releases the thread. On a machine shared
// with other work, wall time mostly measures the other work; the paired
// benchmarks compare CPU time instead.
func threadClock() (now func() time.Duration, release func()) {
	runtime.LockOSThread()
	return func() time.Duration {
		var ts syscall.Timespec
		if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
			panic(e)
		}
		return time.Duration(ts.Nano())
	}, runtime.UnlockOSThread
}
