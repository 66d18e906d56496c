package ratelimittest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/authkit/authkit/ratelimit"
	"github.com/authkit/authkit/ratelimit/ratelimittest"
)

func TestFixed(t *testing.T) {
	boom := errors.New("backend down")
	f := &ratelimittest.Fixed{Err: boom}
	if _, err := f.Allow(context.Background(), "a"); !errors.Is(err, boom) {
		t.Fatalf("Allow = %v, want %v", err, boom)
	}
	f.Err = nil
	f.Decision = ratelimit.Decision{Allowed: true, Remaining: 3}
	if d, err := f.Allow(context.Background(), "b"); err != nil || !d.Allowed || d.Remaining != 3 {
		t.Fatalf("Allow = %+v, %v", d, err)
	}
	if keys := f.Keys(); len(keys) != 2 || keys[0] != "a" || keys[1] != "b" {
		t.Fatalf("Keys = %q", keys)
	}
}
