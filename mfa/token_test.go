package mfa

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestTokens(t *testing.T) {
	f := newFixture(t)
	single, exp, err := f.svc.IssueToken(bg, "u", "s1", true)
	if err != nil {
		t.Fatal(err)
	}
	if len(single) != 43 || !isBase64URL(single) {
		t.Fatalf("token %q: want 43 base64url characters (256 bits)", single)
	}
	if !exp.Equal(t0.Add(DefaultSingleUseTokenTTL)) {
		t.Fatalf("single-use expiry %v, want +5m", exp)
	}
	multi, exp, _ := f.svc.IssueToken(bg, "u", "", false)
	if !exp.Equal(t0.Add(DefaultMultiUseTokenTTL)) {
		t.Fatalf("multi-use expiry %v, want +10m", exp)
	}
	for name, c := range map[string]struct{ user, sid, tok string }{
		"other user":    {"v", "s1", single},
		"other session": {"u", "s2", single},
		"no session":    {"u", "", single},
		"empty":         {"u", "s1", ""},
		"bad alphabet":  {"u", "s1", strings.Repeat("!", 43)},
		"too long":      {"u", "s1", single + "A"},
		"unknown":       {"u", "s1", strings.Repeat("A", 43)},
	} {
		if err := f.svc.ConsumeToken(bg, c.user, c.sid, c.tok); !errors.Is(err, ErrTokenInvalid) {
			t.Errorf("%s: %v, want ErrTokenInvalid", name, err)
		}
	}
	if err := f.svc.ConsumeToken(bg, "u", "s1", single); err != nil {
		t.Fatalf("single-use token: %v", err)
	}
	if err := f.svc.ConsumeToken(bg, "u", "s1", single); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("single-use token twice = %v", err)
	}
	for i := 0; i < 3; i++ {
		if err := f.svc.ConsumeToken(bg, "u", "any", multi); err != nil {
			t.Fatalf("multi-use token use %d: %v", i, err)
		}
	}
	// Only the hash is stored: the token is not a key of the store.
	if _, err := f.store.UseToken(bg, []byte(multi), "u", "", t0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("token found by its clear value: %v", err)
	}
}

func TestTokenExpiry(t *testing.T) {
	f := newFixture(t)
	single, _, _ := f.svc.IssueToken(bg, "u", "", true)
	multi, _, _ := f.svc.IssueToken(bg, "u", "", false)
	f.clock.Advance(DefaultSingleUseTokenTTL - time.Second)
	multi2, _, _ := f.svc.IssueToken(bg, "u", "", false)
	f.clock.Advance(time.Second)
	if err := f.svc.ConsumeToken(bg, "u", "", single); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("single-use token at 5 min = %v, want ErrTokenInvalid", err)
	}
	if err := f.svc.ConsumeToken(bg, "u", "", multi); err != nil {
		t.Fatalf("multi-use token at 5 min: %v", err)
	}
	f.clock.Set(t0.Add(DefaultMultiUseTokenTTL))
	if err := f.svc.ConsumeToken(bg, "u", "", multi); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("multi-use token at 10 min = %v, want ErrTokenInvalid", err)
	}
	if err := f.svc.ConsumeToken(bg, "u", "", multi2); err != nil {
		t.Fatalf("younger multi-use token: %v", err)
	}
}

func TestTokenHashKeyRotation(t *testing.T) {
	f := newFixture(t)
	tok, _, _ := f.svc.IssueToken(bg, "u", "", false)
	svc2, _ := New(Config{Store: f.store, Sealer: f.sealer, HashKeys: [][]byte{hashKey(9), hashKey(7)}, Issuer: "x", Now: f.clock.Now})
	if err := svc2.ConsumeToken(bg, "u", "", tok); err != nil {
		t.Fatalf("token after hash-key rotation: %v", err)
	}
	svc3, _ := New(Config{Store: f.store, Sealer: f.sealer, HashKeys: [][]byte{hashKey(9)}, Issuer: "x", Now: f.clock.Now})
	if err := svc3.ConsumeToken(bg, "u", "", tok); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("token after its hash key was retired = %v", err)
	}
}

func TestTokenParallelSingleUse(t *testing.T) {
	f := newFixture(t)
	tok, _, _ := f.svc.IssueToken(bg, "u", "s", true)
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	start := make(chan struct{})
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			err := f.svc.ConsumeToken(bg, "u", "s", tok)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				wins++
			} else if !errors.Is(err, ErrTokenInvalid) {
				t.Errorf("unexpected %v", err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if wins != 1 {
		t.Fatalf("32 parallel uses of a single-use token: %d succeeded, want exactly 1", wins)
	}
}
