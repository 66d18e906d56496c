// Package race runs one operation from many goroutines released at the same
// instant, for the concurrency cases of the conformance suites ("of N
// concurrent consumes, exactly one wins"). It only starts and collects; the
// caller decides what counts as a win.
package race

import "sync"

// Run calls f(i) for i in [0, n) from n goroutines that all wait on one
// barrier before calling, and returns the n errors in order of i.
func Run(n int, f func(i int) error) []error {
	errs := make([]error, n)
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for i := range n {
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			errs[i] = f(i)
		}()
	}
	ready.Wait() // every goroutine exists before any is released
	close(start)
	done.Wait()
	return errs
}
