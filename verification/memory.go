package verification

import (
	"context"
	"crypto/subtle"
	"errors"
	"sync"
	"time"

	"github.com/authkit/authkit/internal/expiry"
)

// sweepEvery is how often (in the callers' time) the memory store drops
// send histories past their window.
const sweepEvery = time.Minute

// hashLen is the length of an HMAC-SHA256 code hash.
const hashLen = 32

// errHashLen is returned by the memory store for a CodeHash that is not an
// HMAC-SHA256 digest.
var errHashLen = errors.New("verification: CodeHash must be 32 bytes")

// MemoryStore is an in-memory Store for a single process: tests,
// development, and deployments with one instance. It is safe for concurrent
// use; every method holds a mutex across its read-modify-write. Records past
// PurgeAt and idle send histories are dropped as time (the now passed in)
// advances, so memory stays bounded by the live verifications.
//
// Records are kept in a compact form (times as Unix nanoseconds, the hash
// inline), so times come back in UTC, and CodeHash must be 32 bytes.
type MemoryStore struct {
	mu      sync.Mutex
	records map[string]*memRecord
	due     expiry.Queue[string] // record ids by PurgeAt

	smu       sync.Mutex
	sends     map[string]*sendHistory
	sendSweep time.Time
}

// memRecord is a Record without per-field allocations: about 170 bytes
// against some 290 for a Record and its separately allocated hash.
type memRecord struct {
	// What every Attempt reads comes first, in one cache line.
	hash                   [hashLen]byte
	expires, used          int64 // Unix ns; 0 = zero time
	attempts, sends        int32
	created, sent, purge   int64
	channel                Channel
	id, destination        string
	phoneCC, phoneNational string
	phoneRegion            string
}

type sendHistory struct {
	times   []int64 // Unix ns, oldest first, only sends within the window
	purgeAt int64
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{records: map[string]*memRecord{}, sends: map[string]*sendHistory{}}
}

// Len returns the number of records held (pending, used or expired but not
// yet purged).
func (m *MemoryStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.records)
}

func toNS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNS(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func (r *memRecord) record(withHash bool) Record {
	out := Record{
		ID: r.id, Channel: r.channel, Destination: r.destination,
		PhoneCountryCode: r.phoneCC, PhoneNational: r.phoneNational, PhoneRegion: r.phoneRegion,
		Attempts: int(r.attempts), Sends: int(r.sends),
		CreatedAt: fromNS(r.created), SentAt: fromNS(r.sent), ExpiresAt: fromNS(r.expires),
		PurgeAt: fromNS(r.purge), UsedAt: fromNS(r.used),
	}
	if withHash {
		out.CodeHash = append([]byte(nil), r.hash[:]...)
	}
	return out
}

// Create implements Store.
func (m *MemoryStore) Create(_ context.Context, rec Record) error {
	if len(rec.CodeHash) != hashLen {
		return errHashLen
	}
	r := &memRecord{
		id: rec.ID, destination: rec.Destination, channel: rec.Channel,
		phoneCC: rec.PhoneCountryCode, phoneNational: rec.PhoneNational, phoneRegion: rec.PhoneRegion,
		attempts: int32(rec.Attempts), sends: int32(rec.Sends),
		created: toNS(rec.CreatedAt), sent: toNS(rec.SentAt), expires: toNS(rec.ExpiresAt),
		purge: toNS(rec.PurgeAt), used: toNS(rec.UsedAt),
	}
	copy(r.hash[:], rec.CodeHash)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dropDue(rec.CreatedAt.UnixNano(), createSweep)
	if _, ok := m.records[rec.ID]; ok {
		return ErrDuplicate
	}
	m.records[rec.ID] = r
	m.due.Push(rec.ID, r.purge)
	return nil
}

// Get implements Store.
func (m *MemoryStore) Get(_ context.Context, id string) (Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.records[id]
	if !ok {
		return Record{}, ErrNotFound
	}
	return r.record(true), nil
}

// ReplaceCode implements Store.
func (m *MemoryStore) ReplaceCode(_ context.Context, id string, codeHash []byte, now, expiresAt, purgeAt time.Time, maxAttempts int) (Record, error) {
	if len(codeHash) != hashLen {
		return Record{}, errHashLen
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.records[id]
	switch {
	case !ok:
		return Record{}, ErrNotFound
	case r.used != 0:
		return Record{}, ErrAlreadyUsed
	case int(r.attempts) >= maxAttempts:
		return Record{}, ErrTooManyAttempts
	}
	copy(r.hash[:], codeHash)
	r.sent, r.expires, r.purge = toNS(now), toNS(expiresAt), toNS(purgeAt)
	r.sends++
	m.due.Push(id, r.purge)
	return r.record(true), nil
}

// Attempt implements Store. The returned record has no CodeHash.
func (m *MemoryStore) Attempt(_ context.Context, id string, candidates [][]byte, now time.Time, maxAttempts int) (Record, error) {
	n := now.UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.records[id]
	switch {
	case !ok:
		return Record{}, ErrNotFound
	case r.used != 0:
		return Record{}, ErrAlreadyUsed
	case n >= r.expires:
		return Record{}, ErrExpired
	case int(r.attempts) >= maxAttempts:
		return Record{}, ErrTooManyAttempts
	}
	match := 0
	for _, c := range candidates {
		// Every candidate is compared, each in constant time.
		match |= subtle.ConstantTimeCompare(c, r.hash[:])
	}
	if match == 1 {
		r.used = n
		return r.record(false), nil
	}
	r.attempts++
	return r.record(false), ErrWrongCode
}

// RecordSend implements Store.
func (m *MemoryStore) RecordSend(_ context.Context, destination string, now time.Time, limits SendLimits) error {
	m.smu.Lock()
	defer m.smu.Unlock()
	m.sweepSends(now)
	h := m.sends[destination]
	if h == nil {
		h = &sendHistory{}
		m.sends[destination] = h
	}
	// Drop sends that left the window: keep those with t > now − Window.
	start := now.Add(-limits.Window).UnixNano()
	i := 0
	for i < len(h.times) && h.times[i] <= start {
		i++
	}
	h.times = h.times[i:]
	var sends [8]time.Time
	ts := sends[:0]
	for _, t := range h.times {
		ts = append(ts, time.Unix(0, t))
	}
	if wait := SendWait(ts, now, limits); wait > 0 {
		return &RateLimitError{RetryAfter: wait}
	}
	h.times = append(h.times, now.UnixNano())
	h.purgeAt = now.Add(limits.Window).UnixNano()
	return nil
}

// sweepSends drops histories whose last send left the window; m.smu held.
func (m *MemoryStore) sweepSends(now time.Time) {
	if now.Before(m.sendSweep) {
		return
	}
	m.sendSweep = now.Add(sweepEvery)
	n := now.UnixNano()
	for d, h := range m.sends {
		if n >= h.purgeAt {
			delete(m.sends, d)
		}
	}
}
