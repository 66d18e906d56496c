package main

import (
	"context"
	"sync"
	"time"
)

// sweepInterval is how often the server asks its memory stores to drop
// expired records.
const sweepInterval = time.Minute

// sweeper is a store that drops its expired records when asked (the
// memory stores); Postgres and Redis expire their own.
type sweeper interface {
	Sweep(ctx context.Context, now time.Time) (int, error)
}

// backgroundTasks runs the server's periodic work; stop ends it and waits.
type backgroundTasks struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func (b *backgroundTasks) stop() {
	if b != nil {
		b.cancel()
		b.wg.Wait()
	}
}

// startSweeping sweeps every store that can be swept, every interval,
// with the server's clock, until Close. Requests never wait on it: each
// store sweeps in bounded slices under its own lock.
func (s *server) startSweeping(interval time.Duration, tick <-chan time.Time) {
	var stores []sweeper
	for _, st := range []any{s.stores.Verification, s.stores.Accounts, s.stores.MFA} {
		if sw, ok := st.(sweeper); ok {
			stores = append(stores, sw)
		}
	}
	if len(stores) == 0 {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.tasks = &backgroundTasks{cancel: cancel}
	var ticker *time.Ticker
	if tick == nil {
		ticker = time.NewTicker(interval)
		tick = ticker.C
	}
	s.tasks.wg.Add(1)
	go func() {
		defer s.tasks.wg.Done()
		if ticker != nil {
			defer ticker.Stop()
		}
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick:
				for _, st := range stores {
					if _, err := st.Sweep(ctx, s.now()); err != nil && ctx.Err() == nil {
						s.log.Warn("sweep failed", "err", err)
					}
				}
			}
		}
	}()
}
