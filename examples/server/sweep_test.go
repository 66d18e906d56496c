package main

import (
	"context"
	"testing"
	"time"

	"github.com/authkit/authkit/internal/clock"
	"github.com/authkit/authkit/phone"
	"github.com/authkit/authkit/verification"
)

// The server sweeps its memory stores on its ticker, with its own clock:
// a verification whose purge time passed is gone after the next tick, and
// Close stops the sweeper.
func TestServerSweepsMemoryStores(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC))
	tick := make(chan time.Time, 1)
	cfg := defaultConfig()
	cfg.Env = testEnvID
	cfg.Issuer = "http://127.0.0.1:1" + apiPrefix + testEnvID
	srv, err := newServer(context.Background(), cfg, serverOptions{Now: clk.Now, sweepTick: tick})
	if err != nil {
		t.Fatal(err)
	}
	mem := srv.stores.Verification.(*verification.MemoryStore)
	national, _ := testPhone(91)
	n, err := phone.Parse("1", national, "US")
	if err != nil {
		t.Fatal(err)
	}
	st, err := srv.codes.Start(context.Background(), verification.StartRequest{Channel: verification.ChannelSMS, Phone: &n})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := mem.Get(context.Background(), st.ID)
	if err != nil {
		t.Fatal(err)
	}
	swept := func() bool {
		tick <- clk.Now()
		for range 200 { // the sweeper runs on its own goroutine
			if mem.Len() == 0 {
				return true
			}
			time.Sleep(5 * time.Millisecond)
		}
		return false
	}
	clk.Set(rec.PurgeAt.Add(-time.Second))
	if swept() {
		t.Fatal("swept a record before its purge time")
	}
	clk.Set(rec.PurgeAt)
	if !swept() {
		t.Fatalf("record still held after its purge time (%d records)", mem.Len())
	}
	done := make(chan error, 1)
	go func() { done <- srv.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not stop the sweeper")
	}
}
