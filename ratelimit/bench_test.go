package ratelimit_test

import (
	"context"
	"math"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit/authkit/ratelimit"
)

func benchLimiter(b *testing.B) *ratelimit.Memory {
	m, err := ratelimit.NewMemory(ratelimit.MemoryConfig{Rule: ratelimit.Rule{Limit: 1_000_000, Window: time.Second}})
	if err != nil {
		b.Fatal(err)
	}
	return m
}

func benchKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = "ip:198.51." + strconv.Itoa(i>>8) + "." + strconv.Itoa(i&255)
	}
	return keys
}

// BenchmarkAllow: one key, one goroutine.
func BenchmarkAllow(b *testing.B) {
	m, ctx := benchLimiter(b), context.Background()
	b.ReportAllocs()
	for b.Loop() {
		m.Allow(ctx, "ip:203.0.113.7")
	}
}

// BenchmarkAllowParallelOneKey: every goroutine on the same key (worst contention).
func BenchmarkAllowParallelOneKey(b *testing.B) {
	m, ctx := benchLimiter(b), context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Allow(ctx, "ip:203.0.113.7")
		}
	})
}

// BenchmarkAllowParallelManyKeys: 10 000 keys spread over all goroutines.
func BenchmarkAllowParallelManyKeys(b *testing.B) {
	m, ctx, keys := benchLimiter(b), context.Background(), benchKeys(10_000)
	var next atomic.Uint64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(7919))
		for pb.Next() {
			m.Allow(ctx, keys[i%len(keys)])
			i++
		}
	})
}

// BenchmarkRawFloorMutexMap is the floor Allow wraps: a mutex-guarded map
// update of one int64 per key, over the same 10 000 keys, one goroutine.
func BenchmarkRawFloorMutexMap(b *testing.B) {
	keys := benchKeys(10_000)
	var mu sync.Mutex
	tat := make(map[string]int64)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		now := time.Now().UnixNano()
		mu.Lock()
		k := keys[i%len(keys)]
		if t := tat[k]; t < now {
			tat[k] = now + 1000
		} else {
			tat[k] = t + 1000
		}
		mu.Unlock()
		i++
	}
}

// BenchmarkAllowManyKeys: Allow over the same 10 000 keys, one goroutine,
// to compare with BenchmarkRawFloorMutexMap.
func BenchmarkAllowManyKeys(b *testing.B) {
	m, ctx, keys := benchLimiter(b), context.Background(), benchKeys(10_000)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m.Allow(ctx, keys[i%len(keys)])
		i++
	}
}

// BenchmarkMemoryPerKey reports the heap bytes held per key, measured over
// 100 000 distinct keys of about 20 bytes.
func BenchmarkMemoryPerKey(b *testing.B) {
	const n = 100_000
	keys := benchKeys(n)
	ctx := context.Background()
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		m, err := ratelimit.NewMemory(ratelimit.MemoryConfig{Rule: ratelimit.Rule{Limit: 10, Window: time.Hour}, MaxKeys: n})
		if err != nil {
			b.Fatal(err)
		}
		for _, k := range keys {
			m.Allow(ctx, k)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		if m.Len() < n*9/10 {
			b.Fatalf("only %d keys held", m.Len())
		}
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(m.Len()), "B/key")
		runtime.KeepAlive(m)
	}
}

// BenchmarkAllowVsRaw interleaves batches of Allow and of the raw floor
// (mutex + map update) over the same 10 000 keys, so that load from other
// processes hits both alike, and reports the fastest batch of each and the
// ratio. Useful on a shared, noisy machine.
func BenchmarkAllowVsRaw(b *testing.B) {
	m, ctx, keys := benchLimiter(b), context.Background(), benchKeys(10_000)
	var mu sync.Mutex
	tat := make(map[string]int64)
	const batch = 500
	i, j := 0, 0
	fns := []func(){
		func() { m.Allow(ctx, keys[i%len(keys)]); i++ },
		func() {
			now := time.Now().UnixNano()
			mu.Lock()
			k := keys[j%len(keys)]
			if t := tat[k]; t < now {
				tat[k] = now + 1000
			} else {
				tat[k] = t + 1000
			}
			mu.Unlock()
			j++
		},
	}
	best := []float64{math.MaxFloat64, math.MaxFloat64}
	for b.Loop() {
		for n, f := range fns {
			start := time.Now()
			for range batch {
				f()
			}
			best[n] = min(best[n], float64(time.Since(start).Nanoseconds())/batch)
		}
	}
	b.ReportMetric(best[0], "allow-ns")
	b.ReportMetric(best[1], "raw-ns")
	b.ReportMetric(best[0]/best[1], "x-raw")
}
