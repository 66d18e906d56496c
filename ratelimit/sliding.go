package ratelimit

import "math"

// slidingWait returns how long after now an event is allowed under the
// Sliding rule r, given the key's events still in the window at now
// (oldest first, all > now − Window; unix ns) and the events counted
// against its Lifetime, or 0 if one is allowed at now, or -1 if none ever
// will be (the Lifetime cap). An event at T is allowed when the events in
// (T − Window, T] number fewer than Limit (if Limit > 0) and T is at least
// the last of them plus the cooldown after that many. The wait is exact:
// the earliest such T, as older events leave the window. This is the
// rule's one Go home; the PostgreSQL and Redis limiters port it line by
// line.
func (r Rule) slidingWait(events []int64, total int, now int64) int64 {
	if r.Lifetime > 0 && total >= r.Lifetime {
		return -1
	}
	n := len(events)
	win := int64(r.Window)
	if win == 0 {
		return 0 // a Lifetime cap alone
	}
	// Let k of the oldest events have left the window; that holds for T in
	// [events[k-1]+Window, events[k]+Window). Try k = 0, 1, … in turn.
	for k := 0; k <= n; k++ {
		from := now
		if k > 0 && events[k-1]+win > from {
			from = events[k-1] + win
		}
		m := n - k
		if m == 0 {
			return from - now
		}
		if r.Limit > 0 && m >= r.Limit {
			continue
		}
		t := max(events[n-1]+r.cooldown(m), from)
		if t < events[k]+win {
			return t - now
		}
	}
	return 0 // not reached: k = n always returns
}

// cooldown is the wait after the m-th event in the window:
// Cooldown·2^(m−1), the doubling stopped once it reaches Window (it can
// grow no further use).
func (r Rule) cooldown(m int) int64 {
	cd := int64(r.Cooldown)
	for i := 1; i < m && cd > 0 && cd < int64(r.Window); i++ { // no cooldown: no loop over a long log
		cd *= 2
	}
	return cd
}

// Remaining is Decision.Remaining for an event a Sliding rule allowed,
// leaving n events in the window and total counted against the Lifetime:
// how many more the count limits allow at once (none while a cooldown
// applies). Limiter implementations outside this package use it.
func (r Rule) Remaining(n, total int) int {
	if r.Cooldown > 0 {
		return 0
	}
	rem := math.MaxInt
	if r.Limit > 0 {
		rem = r.Limit - n
	}
	if r.Lifetime > 0 {
		rem = min(rem, r.Lifetime-total)
	}
	return rem
}
