package ratelimit

import (
	"fmt"
	"time"

	"github.com/authkit/authkit/internal/clock"
)

// Log is what a Sliding rule keeps for one key: the key's events still in
// the window and its count against the Lifetime cap. A store that guards
// a record with a Sliding rule (a limit on wrong codes, say) can keep the
// Log inside that record and decide with [Rule.Attempt] under the
// record's own lock, so that the limit, the guarded operation and the
// count are one atomic step with one lock and one lookup. The zero Log is
// a key never seen; setting a Log to the zero value is [Counter.Reset].
//
// A Log lives in process memory: it has no encoded form to store in a
// database row. It is not safe for concurrent use (its keeper serialises
// the calls on it), and a copy shares its events, so keep one copy per
// key.
type Log struct {
	events []int64 // in the window or past it, oldest first (unix ns)
	total  int     // events counted against the Lifetime cap
}

// Empty reports whether l is the zero Log (no event, no lifetime count):
// a keeper may then forget it, as it equals an unseen key's at any time.
func (l *Log) Empty() bool { return l.total == 0 && len(l.events) == 0 }

// Attempt is [Memory.Attempt] on a Log the caller keeps: if r allows an
// event at now, try runs, and the event is counted in l only if try
// reports false. An allowed Decision means try ran; a denied one, that it
// did not and l is unchanged. The caller holds the lock that serialises l
// for the whole call, try included. now (nil: time.Now) is called only
// when l holds events or try fails, so a success on an unseen key costs
// no clock read. The error wraps ErrInvalidRule if r is not a valid Sliding
// rule; then try did not run.
func (r Rule) Attempt(l *Log, now func() time.Time, try func() (ok bool)) (Decision, error) {
	if !r.Sliding {
		return Decision{}, fmt.Errorf("%w: Attempt needs a Sliding rule", ErrInvalidRule)
	}
	if err := r.validateSliding(); err != nil {
		return Decision{}, err
	}
	d, _ := r.attempt(l, noClock, clock.Or(now), try)
	return d, nil
}

// attempt is the one home of a Sliding rule's decision on a log. With a
// nil try it is Allow: the event is counted when allowed. Otherwise try
// runs once the event is allowed and the event is counted only if try
// reports false. The time is at, or if that is noClock the clock's,
// read only when needed; the returned at is the time decided at, or
// noClock if it was not needed.
func (r Rule) attempt(l *Log, at int64, clock func() time.Time, try func() bool) (Decision, int64) {
	failed := false // try ran and reported a failure
	if try != nil && l.Empty() {
		if try() {
			return Decision{Allowed: true, Remaining: r.Remaining(0, 0)}, noClock
		}
		failed = true
	}
	if at == noClock {
		at = clock().UnixNano()
	}
	events := r.inWindow(l.events, at)
	if !failed {
		if wait := r.slidingWait(events, l.total, at); wait != 0 {
			return Decision{RetryAfter: time.Duration(max(wait, 0))}, at
		}
		if try != nil && try() {
			return Decision{Allowed: true, Remaining: r.Remaining(len(events), l.total)}, at
		}
	}
	if r.Window > 0 {
		l.events = logEvent(l.events, len(l.events)-len(events), at)
	}
	if r.Lifetime > 0 {
		l.total++
	}
	return Decision{Allowed: true, Remaining: r.Remaining(len(l.events), l.total)}, at
}

// refund drops l's newest event if it is still in the window at now (the
// log is sorted, so only that one can be), and one from its lifetime
// count. The clock is read only when there is an event to look at.
func (r Rule) refund(l *Log, clock func() time.Time) {
	if n := len(l.events); n > 0 && len(r.inWindow(l.events[n-1:], clock().UnixNano())) == 1 {
		l.events = l.events[:n-1]
	}
	l.total = max(l.total-1, 0)
}

// logEvent drops the first gone events of log (those that left the
// window) and adds now, in its array when it fits: the log stays sorted
// even if the clock stepped back.
func logEvent(log []int64, gone int, now int64) []int64 {
	if gone > 0 {
		log = log[:copy(log, log[gone:])]
	}
	i := len(log)
	for i > 0 && log[i-1] > now {
		i--
	}
	log = append(log, 0)
	copy(log[i+1:], log[i:])
	log[i] = now
	return log
}

// inWindow drops the events that left the window at now: those at or
// before now − Window.
func (r Rule) inWindow(events []int64, now int64) []int64 {
	i := 0
	for i < len(events) && events[i] <= now-int64(r.Window) {
		i++
	}
	return events[i:]
}
