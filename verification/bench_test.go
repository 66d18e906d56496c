package verification_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/authkit/authkit/internal/keyedhash"
	"github.com/authkit/authkit/verification"
)

// Benchmarks: go test -run '^$' -bench 'Start|Check' -benchmem -benchtime=200ms -count=3 ./verification/
// Memory:     go test -run '^$' -bench MemoryPerPending -benchtime=1x -count=3 ./verification/
//
// Start and Check run on the memory store with a sender that discards; each
// sits next to a raw floor doing only the cryptographic and map work an
// implementation cannot avoid.

var discard = verification.SenderFunc(func(context.Context, verification.Message) error { return nil })

func benchService(b *testing.B, s verification.Sender) *verification.Service {
	svc, err := verification.New(verification.Config{Store: verification.NewMemoryStore(), Email: s, SMS: s, HashKeys: [][]byte{bytes.Repeat([]byte{1}, 32)}})
	if err != nil {
		b.Fatal(err)
	}
	return svc
}

func emails(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "user" + strconv.Itoa(i) + "@example.com"
	}
	return out
}

func BenchmarkStart(b *testing.B) {
	svc := benchService(b, discard)
	dest := emails(b.N)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := svc.Start(ctx, verification.StartRequest{Channel: verification.ChannelEmail, Email: dest[i]}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheck(b *testing.B) {
	// b.N pending verifications, made directly in the store (as Start
	// would, minus the send histories) so the heap holds what the floor's
	// does plus the record fields a real store must keep.
	secret := bytes.Repeat([]byte{1}, 32)
	h, err := keyedhash.New([][]byte{secret})
	if err != nil {
		b.Fatal(err)
	}
	store := verification.NewMemoryStore()
	svc, err := verification.New(verification.Config{Store: store, Email: discard, HashKeys: [][]byte{secret}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	now := time.Now()
	ids, codes := make([]string, b.N), make([]string, b.N)
	for i := range ids {
		ids[i] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
		codes[i] = rawDigits()
		err := store.Create(ctx, verification.Record{
			ID: ids[i], Channel: verification.ChannelEmail, Destination: "user" + strconv.Itoa(i) + "@example.com",
			CodeHash: h.Sum(ids[i], codes[i]), Sends: 1, CreatedAt: now, SentAt: now,
			ExpiresAt: now.Add(time.Hour), PurgeAt: now.Add(2 * time.Hour),
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := svc.Check(ctx, ids[i], codes[i]); err != nil {
			b.Fatal(err)
		}
	}
}

// rawRecord and rawStore are the floor: a mutex-guarded map of hashes.
type rawRecord struct {
	hash [32]byte
	used bool
}

type rawStore struct {
	mu sync.Mutex
	m  map[string]*rawRecord
}

// rawDigits is the floor's code: crypto/rand bytes, rejection-sampled.
func rawDigits() string {
	var buf [8]byte
	var out [6]byte
	n := 0
	for n < 6 {
		if _, err := rand.Read(buf[:]); err != nil {
			panic(err)
		}
		for _, c := range buf {
			if c < 250 && n < 6 {
				out[n] = '0' + c%10
				n++
			}
		}
	}
	return string(out[:])
}

func BenchmarkRawFloorStart(b *testing.B) {
	mac := hmac.New(sha256.New, bytes.Repeat([]byte{1}, 32))
	st := &rawStore{m: map[string]*rawRecord{}}
	ids := make([]string, b.N)
	for i := range ids {
		ids[i] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		code := rawDigits()
		r := &rawRecord{}
		mac.Reset()
		mac.Write([]byte(ids[i]))
		mac.Write([]byte(code))
		mac.Sum(r.hash[:0])
		st.mu.Lock()
		st.m[ids[i]] = r
		st.mu.Unlock()
	}
}

func BenchmarkRawFloorCheck(b *testing.B) {
	mac := hmac.New(sha256.New, bytes.Repeat([]byte{1}, 32))
	st := &rawStore{m: map[string]*rawRecord{}}
	ids := make([]string, b.N)
	codes := make([]string, b.N)
	for i := range ids {
		ids[i] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
		codes[i] = rawDigits()
		r := &rawRecord{}
		mac.Reset()
		mac.Write([]byte(ids[i]))
		mac.Write([]byte(codes[i]))
		mac.Sum(r.hash[:0])
		st.m[ids[i]] = r
	}
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	var sum [32]byte
	for i := 0; i < b.N; i++ {
		mac.Reset()
		mac.Write([]byte(ids[i]))
		mac.Write([]byte(codes[i]))
		h := mac.Sum(sum[:0])
		st.mu.Lock()
		r := st.m[ids[i]]
		if subtle.ConstantTimeCompare(h, r.hash[:]) != 1 || r.used {
			b.Fatal("mismatch")
		}
		r.used = true
		st.mu.Unlock()
	}
}

// BenchmarkMemoryPerPending reports the heap bytes one pending verification
// holds, measured over 100 000 of them: the stored record alone, and a
// Start through the service (record, the destination's send history and
// its daily-cap entry).
func BenchmarkMemoryPerPending(b *testing.B) {
	const n = 100_000
	now := time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC)
	measure := func(b *testing.B, fill func() any) {
		var per float64
		for i := 0; i < b.N; i++ {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			keep := fill()
			runtime.GC()
			runtime.ReadMemStats(&after)
			per = float64(after.HeapAlloc-before.HeapAlloc) / n
			runtime.KeepAlive(keep)
		}
		b.ReportMetric(per, "B/verification")
	}
	b.Run("Store", func(b *testing.B) {
		measure(b, func() any {
			s := verification.NewMemoryStore()
			for i := 0; i < n; i++ {
				id := fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
				h := sha256.Sum256([]byte(id))
				_ = s.Create(context.Background(), verification.Record{
					ID: id, Channel: verification.ChannelEmail, Destination: "user" + strconv.Itoa(i) + "@example.com",
					CodeHash: h[:], Sends: 1, CreatedAt: now, SentAt: now, ExpiresAt: now.Add(10 * time.Minute), PurgeAt: now.Add(time.Hour),
				})
			}
			return s
		})
	})
	b.Run("Service", func(b *testing.B) {
		measure(b, func() any {
			s := verification.NewMemoryStore()
			svc, err := verification.New(verification.Config{Store: s, Email: discard, HashKeys: [][]byte{bytes.Repeat([]byte{1}, 32)}})
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < n; i++ {
				if _, err := svc.Start(context.Background(), verification.StartRequest{Channel: verification.ChannelEmail, Email: "user" + strconv.Itoa(i) + "@example.com"}); err != nil {
					b.Fatal(err)
				}
			}
			return svc // the store and the daily send limiter
		})
	})
}

// The Hot pair repeats wrong-code checks over 1024 verifications that fit
// in cache (MaxAttempts set out of reach), isolating the CPU cost of a check
// from the cache misses and GC work of a heap of b.N records.
const hotN = 1024

func BenchmarkCheckHot(b *testing.B) {
	secret := bytes.Repeat([]byte{1}, 32)
	h, _ := keyedhash.New([][]byte{secret})
	store := verification.NewMemoryStore()
	svc, err := verification.New(verification.Config{Store: store, Email: discard, HashKeys: [][]byte{secret}, MaxAttempts: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	now := time.Now()
	ids := make([]string, hotN)
	for i := range ids {
		ids[i] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
		_ = store.Create(ctx, verification.Record{
			ID: ids[i], Channel: verification.ChannelEmail, Destination: "user" + strconv.Itoa(i) + "@example.com",
			CodeHash: h.Sum(ids[i], "123456"), Sends: 1, CreatedAt: now, SentAt: now,
			ExpiresAt: now.Add(time.Hour), PurgeAt: now.Add(2 * time.Hour),
		})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := svc.Check(ctx, ids[i%hotN], "654321"); err != verification.ErrWrongCode {
			b.Fatal(err)
		}
	}
}

func BenchmarkRawFloorCheckHot(b *testing.B) {
	mac := hmac.New(sha256.New, bytes.Repeat([]byte{1}, 32))
	type rec struct {
		hash     [32]byte
		attempts int
	}
	var mu sync.Mutex
	m := map[string]*rec{}
	ids := make([]string, hotN)
	for i := range ids {
		ids[i] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
		r := &rec{}
		mac.Reset()
		mac.Write([]byte(ids[i]))
		mac.Write([]byte("123456"))
		mac.Sum(r.hash[:0])
		m[ids[i]] = r
	}
	b.ReportAllocs()
	b.ResetTimer()
	var sum [32]byte
	for i := 0; i < b.N; i++ {
		id := ids[i%hotN]
		mac.Reset()
		mac.Write([]byte(id))
		mac.Write([]byte("654321"))
		h := mac.Sum(sum[:0])
		mu.Lock()
		r := m[id]
		if subtle.ConstantTimeCompare(h, r.hash[:]) == 1 {
			b.Fatal("match")
		}
		r.attempts++
		mu.Unlock()
	}
}
