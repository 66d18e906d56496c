package oauth

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkMemoryStoreCreateBacklog: a Create while 100 000 records are due
// costs a few heap pops, not a scan of the map (the old sweep scanned it
// every 256 saves, under the lock).
func BenchmarkMemoryStoreCreateBacklog(b *testing.B) {
	m := NewMemoryStore()
	base := time.Unix(1_800_000_000, 0)
	for i := range 100_000 {
		r := State{State: fmt.Sprintf("old-state-%010d", i), Provider: "github", CreatedAt: base, ExpiresAt: base.Add(time.Minute)}
		if err := m.Create(b.Context(), r, base); err != nil {
			b.Fatal(err)
		}
	}
	later := base.Add(time.Minute + StateRetention)
	states := make([]string, b.N)
	for i := range states {
		states[i] = fmt.Sprintf("new-state-%010d", i)
	}
	b.ResetTimer()
	for i := range b.N {
		r := State{State: states[i], Provider: "github", CreatedAt: later, ExpiresAt: later.Add(time.Minute)}
		if err := m.Create(b.Context(), r, later); err != nil {
			b.Fatal(err)
		}
	}
}
