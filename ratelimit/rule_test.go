package ratelimit_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/authkit/authkit/ratelimit"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want ratelimit.Rule
		str  string
	}{
		{"100/m", ratelimit.Rule{Limit: 100, Window: time.Minute}, "100/m"},
		{"3/s", ratelimit.Rule{Limit: 3, Window: time.Second}, "3/s"},
		{"5/h", ratelimit.Rule{Limit: 5, Window: time.Hour}, "5/h"},
		{"2/d", ratelimit.Rule{Limit: 2, Window: 24 * time.Hour}, "2/d"},
		{"60/10s", ratelimit.Rule{Limit: 60, Window: 10 * time.Second}, "60/10s"},
		{"5/10m", ratelimit.Rule{Limit: 5, Window: 10 * time.Minute}, "5/10m"},
		{"500/5m", ratelimit.Rule{Limit: 500, Window: 5 * time.Minute}, "500/5m"},
		{" 7 / 60s ", ratelimit.Rule{Limit: 7, Window: time.Minute}, "7/m"},
		{"10/1m30s", ratelimit.Rule{Limit: 10, Window: 90 * time.Second}, "10/90s"},
		{"10/500ms", ratelimit.Rule{Limit: 10, Window: 500 * time.Millisecond}, "10/500ms"},
		{"1/366d", ratelimit.Rule{Limit: 1, Window: ratelimit.MaxWindow}, "1/366d"},
	} {
		got, err := ratelimit.Parse(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			continue
		}
		if s := got.String(); s != tc.str {
			t.Errorf("Parse(%q).String() = %q, want %q", tc.in, s, tc.str)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, in := range []string{
		"", "100", "/m", "100/", "0/m", "-1/m", "+1/m", "1_0/m", "1e3/m", "100/x", "100/0m",
		"100/-1s", "100/0s", "1/367d", "10000000000/m", "1000000001/h", "10/1ns", "a/m", "100/m/s",
		"100/ m s", "99999999999999999999/s", "1/99999999999h", "100/ms ",
	} {
		if r, err := ratelimit.Parse(in); !errors.Is(err, ratelimit.ErrInvalidRule) {
			t.Errorf("Parse(%q) = %+v, %v; want ErrInvalidRule", in, r, err)
		}
	}
}

func TestParseRules(t *testing.T) {
	got, err := ratelimit.ParseRules("create=100/m, signin=300/m,retry=3/10s")
	want := map[string]ratelimit.Rule{
		"create": {Limit: 100, Window: time.Minute},
		"signin": {Limit: 300, Window: time.Minute},
		"retry":  {Limit: 3, Window: 10 * time.Second},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseRules = %v, %v; want %v", got, err, want)
	}
	if got, err := ratelimit.ParseRules("  "); err != nil || len(got) != 0 {
		t.Fatalf("ParseRules(blank) = %v, %v; want empty", got, err)
	}
	for _, in := range []string{"create", "=100/m", "create=100/m,create=5/s", "create=100/m,", "a=1/m,b=oops"} {
		if r, err := ratelimit.ParseRules(in); !errors.Is(err, ratelimit.ErrInvalidRule) {
			t.Errorf("ParseRules(%q) = %v, %v; want ErrInvalidRule", in, r, err)
		}
	}
}

func TestRuleValidate(t *testing.T) {
	if err := (ratelimit.Rule{Limit: 1, Window: time.Nanosecond}).Validate(); err != nil {
		t.Fatalf("1/ns: %v", err)
	}
	for _, r := range []ratelimit.Rule{
		{}, {Limit: 2, Window: time.Nanosecond}, {Limit: 1, Window: -time.Second}, {Limit: ratelimit.MaxLimit + 1, Window: time.Hour},
		{Limit: 5, Window: time.Minute, Cooldown: time.Second}, // cooldown without Sliding
		{Sliding: true, Window: time.Minute},                   // neither limit nor cooldown
		{Sliding: true, Limit: -1, Window: time.Minute},
		{Sliding: true, Limit: 1 << 31, Window: time.Minute},
		{Sliding: true, Limit: 5, Window: -time.Minute},
		{Sliding: true, Limit: 5, Window: time.Minute, Cooldown: -time.Second},
		{Sliding: true, Limit: 5},                         // no window
		{Sliding: true, Cooldown: time.Second},            // no window
		{Sliding: true, Lifetime: 5, Window: time.Minute}, // a window with nothing to count in it
		{Sliding: true, Limit: 5, Window: time.Minute, Lifetime: -1},
	} {
		if err := r.Validate(); !errors.Is(err, ratelimit.ErrInvalidRule) {
			t.Errorf("%+v.Validate() = %v, want ErrInvalidRule", r, err)
		}
	}
	for _, tc := range []struct {
		r    ratelimit.Rule
		want string
	}{
		{ratelimit.Rule{Sliding: true, Limit: 5, Window: 10 * time.Minute}, "5/10m sliding"},
		{ratelimit.Rule{Sliding: true, Limit: 5, Window: 10 * time.Minute, Cooldown: 30 * time.Second}, "5/10m sliding cooldown 30s"},
		{ratelimit.Rule{Sliding: true, Window: 10 * time.Minute, Cooldown: 30 * time.Second}, "0/10m sliding cooldown 30s"},
		{ratelimit.Rule{Sliding: true, Lifetime: 100}, "lifetime 100"},
		{ratelimit.Rule{Sliding: true, Limit: 5, Window: 5 * time.Minute, Lifetime: 100}, "5/5m sliding lifetime 100"},
	} {
		if err := tc.r.Validate(); err != nil {
			t.Errorf("%+v.Validate() = %v", tc.r, err)
		}
		if got := tc.r.String(); got != tc.want {
			t.Errorf("%+v.String() = %q, want %q", tc.r, got, tc.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"100/m", "3/s", "60/10s", "5/10m", "10/1m30s", "10/500ms", "0/m", "", "1/366d", "9999999999/s", " 1 / d "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ratelimit.Parse(s)
		if err != nil {
			if !errors.Is(err, ratelimit.ErrInvalidRule) {
				t.Fatalf("Parse(%q): error %v does not wrap ErrInvalidRule", s, err)
			}
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("Parse(%q) returned an invalid rule %+v: %v", s, r, err)
		}
		again, err := ratelimit.Parse(r.String())
		if err != nil || again != r {
			t.Fatalf("round trip %q -> %+v -> %q -> %+v, %v", s, r, r.String(), again, err)
		}
	})
}
