// Package expiry is the deadline queue of the in-memory stores: a min-heap
// of (deadline, key) that yields the keys falling due in deadline order, so
// that a store drops expired records a few at a time instead of scanning
// every record under its lock.
package expiry

// entry is one deadline: Unix nanoseconds and the key it belongs to.
type entry[K any] struct {
	at  int64
	key K
}

// Queue is a min-heap of deadlines. A key may be pushed again with a later
// deadline (a record whose lifetime was extended): the earlier entry still
// pops first, and the store checks the record's own deadline before
// dropping it. The zero Queue is empty and ready; it is not safe for
// concurrent use (the store's mutex guards it).
type Queue[K any] struct {
	h []entry[K]
}

// Len returns the number of entries queued.
func (q *Queue[K]) Len() int { return len(q.h) }

// Push queues key with deadline at (Unix nanoseconds).
func (q *Queue[K]) Push(key K, at int64) {
	q.h = append(q.h, entry[K]{at: at, key: key})
	i := len(q.h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if q.h[p].at <= q.h[i].at {
			break
		}
		q.h[p], q.h[i] = q.h[i], q.h[p]
		i = p
	}
}

// PopDue removes and returns the key with the earliest deadline if that
// deadline is at or before now; ok is false when nothing is due.
func (q *Queue[K]) PopDue(now int64) (key K, ok bool) {
	if len(q.h) == 0 || q.h[0].at > now {
		return key, false
	}
	key = q.h[0].key
	last := len(q.h) - 1
	q.h[0] = q.h[last]
	q.h[last] = entry[K]{} // release the key
	q.h = q.h[:last]
	for i := 0; ; {
		l, small := 2*i+1, i
		if l < len(q.h) && q.h[l].at < q.h[small].at {
			small = l
		}
		if r := l + 1; r < len(q.h) && q.h[r].at < q.h[small].at {
			small = r
		}
		if small == i {
			break
		}
		q.h[i], q.h[small] = q.h[small], q.h[i]
		i = small
	}
	if len(q.h) == 0 || cap(q.h) > 64 && len(q.h) < cap(q.h)/4 {
		q.h = append([]entry[K](nil), q.h...) // shrink after a burst
	}
	return key, true
}
