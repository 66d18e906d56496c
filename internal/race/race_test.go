package race

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

func TestRun(t *testing.T) {
	var mu sync.Mutex
	claimed := false
	errTaken := errors.New("taken")
	var calls atomic.Int32
	errs := Run(32, func(i int) error {
		calls.Add(1)
		mu.Lock()
		defer mu.Unlock()
		if claimed {
			return errTaken
		}
		claimed = true
		return nil
	})
	if len(errs) != 32 || calls.Load() != 32 {
		t.Fatalf("%d results from %d calls, want 32", len(errs), calls.Load())
	}
	wins := 0
	for _, err := range errs {
		if err == nil {
			wins++
		} else if !errors.Is(err, errTaken) {
			t.Fatal(err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d wins, want 1", wins)
	}
	// Results are indexed by i.
	errs = Run(4, func(i int) error {
		if i == 2 {
			return errTaken
		}
		return nil
	})
	if errs[2] != errTaken || errs[0] != nil || errs[1] != nil || errs[3] != nil {
		t.Fatalf("results out of order: %v", errs)
	}
}
