package ratelimit

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ErrInvalidRule is returned for a rule that is malformed or out of range.
var ErrInvalidRule = errors.New("ratelimit: invalid rule")

// Bounds on a Rule, chosen so that GCRA arithmetic on int64 nanoseconds can
// never overflow and every rule has an emission interval of at least 1 ns.
const (
	// MaxWindow is the longest accepted Window.
	MaxWindow = 366 * 24 * time.Hour
	// MaxLimit is the largest accepted Limit.
	MaxLimit = 1_000_000_000
)

// Rule allows Limit events per Window for each key. By default the
// algorithm is GCRA, with bursts of up to Limit; Sliding selects a
// sliding-window log (see the package documentation for both).
type Rule struct {
	// Limit is the number of events allowed per Window (and the largest
	// burst). Must be 1 to MaxLimit, except that a Sliding rule takes up to
	// 2^31−1, and with a Cooldown 0: no count limit, only the cooldown.
	Limit int
	// Window is the period over which Limit events are allowed. Must be
	// positive, at most MaxWindow, and at least Limit nanoseconds; 0 for a
	// Sliding rule with only a Lifetime cap.
	Window time.Duration
	// Sliding selects the sliding-window log: at most Limit events in any
	// span of Window, never a burst beyond. It holds one timestamp per
	// event in the window, so it suits small limits (tens), where the
	// history matters.
	Sliding bool
	// Cooldown (Sliding only) is the least wait after an event: after the
	// m-th event in the window the next waits Cooldown·2^(m−1) (30 s, 60 s,
	// 120 s, …), the doubling stopping once it reaches Window. 0 = none.
	Cooldown time.Duration
	// Lifetime (Sliding only) caps the events ever counted for a key: no
	// time lowers the count, only Refund and Reset do, and a denial by it
	// has no RetryAfter. It is decided in the same atomic step as the
	// window. 0 = none.
	Lifetime int
}

// Validate reports whether r is usable, wrapping [ErrInvalidRule] if not.
func (r Rule) Validate() error {
	if r.Sliding {
		return r.validateSliding()
	}
	switch {
	case r.Cooldown != 0:
		return fmt.Errorf("%w: Cooldown needs a Sliding rule", ErrInvalidRule)
	case r.Limit < 1 || r.Limit > MaxLimit:
		return fmt.Errorf("%w: limit %d not in [1, %d]", ErrInvalidRule, r.Limit, MaxLimit)
	case r.Window <= 0 || r.Window > MaxWindow:
		return fmt.Errorf("%w: window %s not in (0, %s]", ErrInvalidRule, r.Window, MaxWindow)
	case r.Window < time.Duration(r.Limit):
		return fmt.Errorf("%w: window %s shorter than %d ns", ErrInvalidRule, r.Window, r.Limit)
	}
	return nil
}

func (r Rule) validateSliding() error {
	windowed := r.Limit > 0 || r.Cooldown > 0
	switch {
	case r.Limit < 0 || r.Limit > math.MaxInt32 || r.Lifetime < 0 || r.Lifetime > math.MaxInt32:
		return fmt.Errorf("%w: sliding limit %d or lifetime %d not in [0, 2^31-1]", ErrInvalidRule, r.Limit, r.Lifetime)
	case r.Cooldown < 0 || r.Cooldown > MaxWindow:
		return fmt.Errorf("%w: cooldown %s not in [0, %s]", ErrInvalidRule, r.Cooldown, MaxWindow)
	case windowed && (r.Window <= 0 || r.Window > MaxWindow):
		return fmt.Errorf("%w: window %s not in (0, %s]", ErrInvalidRule, r.Window, MaxWindow)
	case !windowed && (r.Lifetime == 0 || r.Window != 0):
		return fmt.Errorf("%w: a sliding rule needs a Limit or a Cooldown with a Window, or a Lifetime alone", ErrInvalidRule)
	}
	return nil
}

// String formats r the way [Parse] reads it: "100/m", "5/10m", "3/s".
// Windows that are not whole seconds fall back to Go duration syntax
// ("10/1.5s"), which Parse also accepts.
// A Sliding rule reads "5/10m sliding", "5/10m sliding cooldown 30s",
// "5/5m sliding lifetime 100" or "lifetime 100"; Parse reads GCRA rules
// only.
func (r Rule) String() string {
	if !r.Sliding {
		return strconv.Itoa(r.Limit) + "/" + formatWindow(r.Window)
	}
	var s string
	if r.Window > 0 {
		s = strconv.Itoa(r.Limit) + "/" + formatWindow(r.Window) + " sliding"
	}
	if r.Cooldown > 0 {
		s += " cooldown " + r.Cooldown.String()
	}
	if r.Lifetime > 0 {
		s = strings.TrimSpace(s + " lifetime " + strconv.Itoa(r.Lifetime))
	}
	return s
}

func formatWindow(w time.Duration) string {
	for _, u := range units {
		if w >= u.d && w%u.d == 0 {
			n := w / u.d
			if n == 1 {
				return u.name
			}
			return strconv.FormatInt(int64(n), 10) + u.name
		}
	}
	return w.String()
}

// units, largest first, for formatting.
var units = [...]struct {
	name string
	d    time.Duration
}{
	{"d", 24 * time.Hour},
	{"h", time.Hour},
	{"m", time.Minute},
	{"s", time.Second},
}

// Parse reads a rule written "N/unit" or "N/Kunit": the unit is s, m, h or d
// (second, minute, hour, day) and K an optional positive integer multiplier,
// so "100/m" is 100 per minute and "5/10m" 5 per ten minutes. Any Go
// duration ("10/1m30s", "10/500ms") is accepted too. Surrounding spaces are
// ignored. The result is validated.
func Parse(s string) (Rule, error) {
	s = strings.TrimSpace(s)
	if len(s) > 64 {
		return Rule{}, fmt.Errorf("%w: too long", ErrInvalidRule)
	}
	limit, window, ok := strings.Cut(s, "/")
	if !ok {
		return Rule{}, fmt.Errorf("%w: %q: want N/unit, e.g. 100/m", ErrInvalidRule, s)
	}
	n, err := parseDigits(strings.TrimSpace(limit))
	if err != nil {
		return Rule{}, fmt.Errorf("%w: %q: limit: %v", ErrInvalidRule, s, err)
	}
	w, err := parseWindow(strings.TrimSpace(window))
	if err != nil {
		return Rule{}, fmt.Errorf("%w: %q: window: %v", ErrInvalidRule, s, err)
	}
	r := Rule{Limit: int(n), Window: w}
	if err := r.Validate(); err != nil {
		return Rule{}, err
	}
	return r, nil
}

// parseDigits accepts only ASCII digits (no sign, no underscores) so that
// the accepted syntax is exactly what the documentation says.
func parseDigits(s string) (int64, error) {
	if s == "" || len(s) > 10 {
		return 0, errors.New("want 1 to 10 digits")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errors.New("want digits")
		}
	}
	return strconv.ParseInt(s, 10, 64)
}

func parseWindow(s string) (time.Duration, error) {
	if s == "" {
		return 0, errors.New("empty")
	}
	// Split "10m" into "10" and "m".
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	mult, unit := int64(1), s[i:]
	if i > 0 {
		m, err := parseDigits(s[:i])
		if err != nil {
			return 0, err
		}
		mult = m
	}
	for _, u := range units {
		if unit == u.name {
			if mult < 1 || mult > int64(MaxWindow/u.d) {
				return 0, errors.New("out of range")
			}
			return time.Duration(mult) * u.d, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errors.New("want s, m, h, d, 10m or a Go duration")
	}
	return d, nil
}

// ParseRules reads a comma-separated list of name=rule pairs, such as a
// command-line flag "create=100/m,signin=300/m". Names must be non-empty and
// unique. An empty string yields an empty map.
func ParseRules(s string) (map[string]Rule, error) {
	rules := make(map[string]Rule)
	if strings.TrimSpace(s) == "" {
		return rules, nil
	}
	for item := range strings.SplitSeq(s, ",") {
		name, spec, ok := strings.Cut(item, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, fmt.Errorf("%w: %q: want name=N/unit", ErrInvalidRule, item)
		}
		if _, dup := rules[name]; dup {
			return nil, fmt.Errorf("%w: %q given twice", ErrInvalidRule, name)
		}
		r, err := Parse(spec)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		rules[name] = r
	}
	return rules, nil
}
