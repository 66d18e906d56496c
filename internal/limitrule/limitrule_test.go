package limitrule

import (
	"errors"
	"testing"
	"time"

	"github.com/authkit/authkit/internal/race"
	"github.com/authkit/authkit/ratelimit"
)

func TestClaim(t *testing.T) {
	a := ratelimit.Rule{Limit: 5, Window: time.Minute}
	b := ratelimit.Rule{Limit: 5, Window: time.Hour}
	tests := []struct {
		name    string
		claims  []ratelimit.Rule // claimed in order under one name
		wantErr bool             // for the last claim
	}{
		{"first claim", []ratelimit.Rule{a}, false},
		{"same rule again", []ratelimit.Rule{a, a}, false},
		{"another rule", []ratelimit.Rule{a, b}, true},
		{"first rule kept after a clash", []ratelimit.Rule{a, b, a}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Registry
			var err error
			for _, rule := range tt.claims {
				err = r.Claim("n", rule)
			}
			if got := err != nil; got != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr && !errors.Is(err, ratelimit.ErrConfig) {
				t.Fatalf("err = %v, want ratelimit.ErrConfig", err)
			}
			if err := r.Claim("other", b); err != nil {
				t.Fatalf("another name: %v", err)
			}
		})
	}
}

// Racing claims of one name with two rules: exactly one rule wins.
func TestClaimRace(t *testing.T) {
	var r Registry
	rules := []ratelimit.Rule{{Limit: 1, Window: time.Second}, {Limit: 2, Window: time.Second}}
	errs := race.Run(32, func(i int) error { return r.Claim("n", rules[i%2]) })
	won := map[ratelimit.Rule]int{}
	for i, err := range errs {
		if err == nil {
			won[rules[i%2]]++
		} else if !errors.Is(err, ratelimit.ErrConfig) {
			t.Fatalf("claim %d: %v", i, err)
		}
	}
	if len(won) != 1 {
		t.Fatalf("rules accepted: %v, want exactly one", won)
	}
	for _, n := range won {
		if n != 16 {
			t.Fatalf("winning rule accepted %d times, want 16", n)
		}
	}
}
