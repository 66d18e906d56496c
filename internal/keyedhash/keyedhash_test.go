package keyedhash

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"sync"
	"testing"
)

func TestNewValidates(t *testing.T) {
	if _, err := New(nil); !errors.Is(err, ErrNoKey) {
		t.Errorf("no keys: %v", err)
	}
	if _, err := New([][]byte{make([]byte, 31)}); !errors.Is(err, ErrShortKey) {
		t.Errorf("short key: %v", err)
	}
}

func TestSumMatchesHMAC(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	h, err := New([][]byte{key})
	if err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte{0, 0, 0, 2, 'i', 'd', '1', '2', '3'})
	if want := m.Sum(nil); !bytes.Equal(h.Sum("id", "123"), want) {
		t.Error("Sum is not HMAC-SHA256(len(ctx)||ctx||secret)")
	}
	if bytes.Equal(h.Sum("id1", "23"), h.Sum("id", "123")) {
		t.Error("context boundary is ambiguous")
	}
}

func TestRotation(t *testing.T) {
	oldKey, newKey := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	old, _ := New([][]byte{oldKey})
	rotated, _ := New([][]byte{newKey, oldKey})
	d := old.Sum("v1", "123456")
	if !rotated.Verify("v1", "123456", d) {
		t.Error("digest under the old key no longer verifies")
	}
	if rotated.Verify("v2", "123456", d) || rotated.Verify("v1", "123457", d) {
		t.Error("digest verifies for another context or secret")
	}
	if old.Verify("v1", "123456", rotated.Sum("v1", "123456")) {
		t.Error("old hasher verifies a digest made with a key it lacks")
	}
}

func TestConcurrent(t *testing.T) {
	h, _ := New([][]byte{bytes.Repeat([]byte{3}, 32)})
	want := h.Sum("ctx", "s")
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				if !bytes.Equal(h.Sum("ctx", "s"), want) || !h.Verify("ctx", "s", want) {
					t.Error("concurrent Sum differs")
					return
				}
			}
		}()
	}
	wg.Wait()
}

func BenchmarkSum(b *testing.B) {
	h, _ := New([][]byte{bytes.Repeat([]byte{3}, 32)})
	b.ReportAllocs()
	for b.Loop() {
		h.Sum("95b11417-f18f-457f-8804-68e361f9164f", "123456")
	}
}

func TestSumAllAndAppend(t *testing.T) {
	k1, k2 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	h, _ := New([][]byte{k2, k1})
	one, _ := New([][]byte{k1})
	all := h.SumAll("ctx", "secret")
	if len(all) != 2 || !bytes.Equal(all[0], h.Sum("ctx", "secret")) || !bytes.Equal(all[1], one.Sum("ctx", "secret")) {
		t.Fatalf("SumAll = %x", all)
	}
	got := h.AppendSum([]byte("prefix"), "ctx", "secret")
	if !bytes.Equal(got[:6], []byte("prefix")) || !bytes.Equal(got[6:], all[0]) {
		t.Errorf("AppendSum = %x", got)
	}
	// A long secret does not break the pooled buffer for later calls.
	long := string(bytes.Repeat([]byte{'x'}, 5000))
	m := hmac.New(sha256.New, k2)
	m.Write([]byte{0, 0, 0, 3, 'c', 't', 'x'})
	m.Write([]byte(long))
	if !bytes.Equal(h.Sum("ctx", long), m.Sum(nil)) {
		t.Error("long secret digest wrong")
	}
	if !bytes.Equal(h.Sum("ctx", "secret"), all[0]) {
		t.Error("digest changed after a long secret")
	}
}

// TestLease: a lease holds SumAll's digests until Release, which clears
// them, and leases taken at once never share memory.
func TestLease(t *testing.T) {
	k1, k2 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	h, _ := New([][]byte{k2, k1})
	l := h.Lease("ctx", "secret")
	got := l.Digests()
	want := h.SumAll("ctx", "secret")
	if len(got) != 2 || !bytes.Equal(got[0], want[0]) || !bytes.Equal(got[1], want[1]) {
		t.Fatalf("Lease digests = %x, want %x", got, want)
	}
	other := h.Lease("ctx", "other")
	if bytes.Equal(other.Digests()[0], got[0]) {
		t.Fatal("two leases share their digests")
	}
	other.Release()
	held := got[0]
	l.Release()
	if !bytes.Equal(held, make([]byte, Size)) {
		t.Fatalf("Release left the digest in pooled memory: %x", held)
	}

	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			secret := string(rune('a' + i))
			for range 200 {
				l := h.Lease("ctx", secret)
				if !bytes.Equal(l.Digests()[0], h.Sum("ctx", secret)) {
					t.Error("a lease changed under a concurrent one")
				}
				l.Release()
			}
		}()
	}
	wg.Wait()
}

// TestLeaseListRebuilt: a holder that changes a Lease's digest list
// against the contract (a header swapped for its own buffer, or
// dropped) does not redirect the next leases: they still hold the right
// digests, in pooled memory, and the holder's buffer is left alone.
func TestLeaseListRebuilt(t *testing.T) {
	k1, k2 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	h, _ := New([][]byte{k2, k1})
	mine := make([]byte, Size)
	tests := []struct {
		name   string
		tamper func([][]byte)
	}{
		{"swapped for the holder's buffer", func(d [][]byte) { d[0] = mine[:0] }},
		{"dropped", func(d [][]byte) { d[1] = nil }},
		{"shortened", func(d [][]byte) { d[0] = d[0][:3] }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := h.Lease("ctx", "secret")
			tc.tamper(l.Digests())
			l.Release()
			for range 4 { // the pool hands the state back, most likely
				l := h.Lease("ctx", "next")
				got, want := l.Digests(), h.SumAll("ctx", "next")
				if len(got) != 2 || !bytes.Equal(got[0], want[0]) || !bytes.Equal(got[1], want[1]) {
					t.Fatalf("next lease = %x, want %x", got, want)
				}
				l.Release()
			}
			if !bytes.Equal(mine, make([]byte, Size)) {
				t.Fatalf("a lease wrote into the holder's buffer: %x", mine)
			}
		})
	}
}
