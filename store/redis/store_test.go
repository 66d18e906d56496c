package redis

import (
	"errors"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/authkit/authkit/ratelimit"
)

func TestNewValidates(t *testing.T) {
	c := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	tests := []struct {
		name   string
		client goredis.UniversalClient
		prefix string
		want   string // prefix in use; "" = error
	}{
		{"default prefix", c, "", DefaultPrefix},
		{"own prefix", c, "app:prod", "app:prod"},
		{"open brace", c, "a{b", ""},
		{"close brace", c, "a}b", ""},
		{"nil client", nil, "x", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(tc.client, Options{Prefix: tc.prefix})
			if tc.want == "" {
				if !errors.Is(err, ErrConfig) {
					t.Fatalf("New = %v, want ErrConfig", err)
				}
				return
			}
			if err != nil || s.Prefix() != tc.want {
				t.Fatalf("New = %v, prefix %q; want %q", err, s.Prefix(), tc.want)
			}
		})
	}
	s, _ := New(c, Options{})
	for _, cfg := range []ratelimit.LimiterConfig{
		{Rule: ratelimit.Rule{Limit: 1, Window: time.Second}},
		{Name: "x", Rule: ratelimit.Rule{Limit: 0, Window: time.Second}},
		{Name: "x", Rule: ratelimit.Rule{Limit: 1}},
	} {
		if _, err := s.Limiter(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("Limiter(%+v) = %v, want ErrConfig", cfg, err)
		}
	}
	if _, err := s.Limiter(ratelimit.LimiterConfig{Name: "y", Rule: ratelimit.Rule{Limit: 1, Window: time.Second}}); err != nil {
		t.Fatalf("Limiter(y) = %v", err)
	}
	if _, err := s.Limiter(ratelimit.LimiterConfig{Name: "y", Rule: ratelimit.Rule{Limit: 2, Window: time.Second}}); !errors.Is(err, ratelimit.ErrConfig) || !errors.Is(err, ErrConfig) {
		t.Errorf("Limiter(y) with another rule = %v, want ErrConfig wrapping ratelimit.ErrConfig", err)
	}
}

func TestEncoding(t *testing.T) {
	tests := []struct{ in, want string }{
		{"0b0e0f3c-3d4a-4c55-9d6e-7f8091a2b3c4", "0b0e0f3c-3d4a-4c55-9d6e-7f8091a2b3c4"},
		{"user@example.com", "user@example.com"},
		{"+19172113333", "+19172113333"},
		{"sms:+19172113333", "~c21zOisxOTE3MjExMzMzMw"},
		{"a}b", "~YX1i"},
		{"", "~"},
		{"~YX1i", "~fllYMWk"}, // an encoded form is itself encoded again
		{strings.Repeat("a", 129), "#" + "wSywJKLlVRzKDgj86PHF4xRVXMP-9jKe6ZSj23UhZq4"},
	}
	for _, tc := range tests {
		if got := enc(tc.in); got != tc.want {
			t.Errorf("enc(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzKeyEncoding checks that distinct identifiers never share a key
// component and that no component can open or close a hash tag or add a
// key separator.
func FuzzKeyEncoding(f *testing.F) {
	for _, s := range []string{"", "a", "a:b", "{x}", "~", "~YQ", "#", "ключ", "a\x00", strings.Repeat("z", 130)} {
		f.Add(s, s+"x")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ea, eb := enc(a), enc(b)
		if strings.ContainsAny(ea, ":{}") {
			t.Fatalf("enc(%q) = %q contains a separator or brace", a, ea)
		}
		if a != b && ea == eb && len(a) <= maxIDLen && len(b) <= maxIDLen {
			t.Fatalf("enc(%q) == enc(%q) == %q", a, b, ea)
		}
	})
}

func TestTimeEncoding(t *testing.T) {
	at := time.Date(2026, 11, 22, 18, 0, 0, 123456789, time.UTC)
	got, err := decTime(encTime(at))
	if err != nil || !got.Equal(at.Truncate(time.Microsecond)) {
		t.Fatalf("round trip = %v, %v; want %v", got, err, at.Truncate(time.Microsecond))
	}
	if encTime(time.Time{}) != "" {
		t.Fatal("the zero time must encode as empty")
	}
	if z, err := decTime(""); err != nil || !z.IsZero() {
		t.Fatalf("decTime(\"\") = %v, %v", z, err)
	}
	if _, err := decTime("12x"); err == nil {
		t.Fatal("decTime accepted a non-number")
	}
}

func TestTTL(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		end  time.Time
		want int64
	}{
		{now.Add(10 * time.Minute), 600000},
		{now.Add(1500*time.Millisecond + 1), 1501}, // rounded up
		{now.Add(time.Millisecond), 1000},          // at least minTTL
		{now.Add(-time.Hour), 1000},                // already past: still minTTL
	}
	for _, tc := range tests {
		if got := ttlMS(now, tc.end); got != tc.want {
			t.Errorf("ttlMS(%v) = %d, want %d", tc.end.Sub(now), got, tc.want)
		}
	}
}
