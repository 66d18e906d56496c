//go:build !linux

package cputime

import "time"

// Thread falls back to the monotonic wall clock where no per-thread CPU
// clock is available.
func Thread() (now func() time.Duration, release func()) {
	start := time.Now()
	return func() time.Duration { return time.Since(start) }, func() {}
}
