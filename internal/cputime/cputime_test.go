package cputime

import "testing"

func TestThreadAdvances(t *testing.T) {
	now, release := Thread()
	defer release()
	start := now()
	x := 0
	for i := 0; i < 5_000_000; i++ {
		x += i ^ (x >> 3)
	}
	if d := now() - start; d <= 0 {
		t.Fatalf("CPU clock did not advance over a busy loop (x=%d): %v", x, d)
	}
}
