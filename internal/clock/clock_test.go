package clock

import (
	"testing"
	"time"
)

func TestFake(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC)
	f := NewFake(t0)
	f.Advance(90 * time.Second)
	if got := f.Now(); !got.Equal(t0.Add(90 * time.Second)) {
		t.Errorf("Now = %v", got)
	}
	f.Set(t0)
	if !Or(f.Now)().Equal(t0) {
		t.Error("Or ignores the given clock")
	}
	if d := time.Since(Or(nil)()); d < 0 || d > time.Minute {
		t.Error("Or(nil) is not time.Now")
	}
}
