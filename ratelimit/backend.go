package ratelimit

import (
	"fmt"
	"sync"
	"time"
)

// MemoryBackend is the in-process [Backend]: it hands out [Memory]
// limiters by name, so that every Limiter call with one Name (and the same
// Rule) shares one table, as the PostgreSQL and Redis backends share rows
// and keys. The zero value is ready to use; it must not be copied after
// first use.
type MemoryBackend struct {
	// MaxKeys is each limiter's MemoryConfig.MaxKeys (0: DefaultMaxKeys).
	MaxKeys int
	// Now is the clock of limiters whose LimiterConfig.Now is nil; nil
	// means time.Now.
	Now func() time.Time

	mu       sync.Mutex
	limiters map[string]*Memory
}

var _ Backend = (*MemoryBackend)(nil)

// Limiter implements [Backend]. A Name already in use with another Rule is
// an error wrapping [ErrConfig]; with the same Rule, the existing
// limiter (and its clock) is returned.
func (b *MemoryBackend) Limiter(cfg LimiterConfig) (Counter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if m, ok := b.limiters[cfg.Name]; ok {
		if m.rule != cfg.Rule {
			return nil, fmt.Errorf("%w: limiter %q already has rule %s", ErrConfig, cfg.Name, m.rule)
		}
		return m, nil
	}
	now := cfg.Now
	if now == nil {
		now = b.Now
	}
	m, err := NewMemory(MemoryConfig{Rule: cfg.Rule, Now: now, MaxKeys: b.MaxKeys})
	if err != nil {
		return nil, err
	}
	if b.limiters == nil {
		b.limiters = make(map[string]*Memory)
	}
	b.limiters[cfg.Name] = m
	return m, nil
}
