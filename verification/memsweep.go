package verification

import (
	"context"
	"time"
)

// Expired records leave the memory store in two ways, neither of which
// scans every record: each Create drops at most createSweep records that
// fell due (so a store under steady traffic keeps up with itself), and
// Sweep, which the host calls on a ticker, drops the rest in slices of
// sweepSlice, releasing the lock between slices so that requests are
// never held behind a long sweep.
const (
	createSweep = 2
	sweepSlice  = 256
)

// Sweep drops every record whose PurgeAt is at or before now and returns
// how many it dropped. Call it periodically (every minute is plenty) with
// the clock the service uses; it holds the store's lock for at most a
// few hundred records at a time and stops early, with ctx's error, when
// ctx is done.
func (m *MemoryStore) Sweep(ctx context.Context, now time.Time) (int, error) {
	n, total := now.UnixNano(), 0
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		m.mu.Lock()
		dropped, more := m.dropDue(n, sweepSlice)
		m.mu.Unlock()
		total += dropped
		if !more {
			return total, nil
		}
	}
}

// dropDue pops up to max due entries and deletes the records that are
// still due (an entry is stale when ReplaceCode moved its record's
// PurgeAt later). more reports whether the limit stopped it; m.mu held.
func (m *MemoryStore) dropDue(now int64, max int) (dropped int, more bool) {
	for range max {
		id, ok := m.due.PopDue(now)
		if !ok {
			return dropped, false
		}
		if r, ok := m.records[id]; ok && now >= r.purge {
			delete(m.records, id)
			dropped++
		}
	}
	return dropped, true
}
