package mfa

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit/authkit/internal/clock"
)

var bg = context.Background()

// t0 is mid-step (step boundaries are multiples of 30 s).
var t0 = time.Date(2026, 11, 22, 18, 0, 10, 0, time.UTC)

func testKey(id string, b byte) Key {
	var k Key
	k.ID = id
	for i := range k.Secret {
		k.Secret[i] = b + byte(i)
	}
	return k
}

func hashKey(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

// countingSealer counts Open calls: every TOTP evaluation opens the secret
// once, so the count bounds the number of codes evaluated.
type countingSealer struct {
	Sealer
	opens atomic.Int64
}

func (c *countingSealer) Open(sealed, ad []byte) ([]byte, error) {
	c.opens.Add(1)
	return c.Sealer.Open(sealed, ad)
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type fixture struct {
	svc    *Service
	store  *MemoryStore
	clock  *clock.Fake
	sealer *countingSealer
	logs   *syncBuffer
}

func newFixture(t testing.TB, mod ...func(*Config)) *fixture {
	t.Helper()
	sealer, err := NewAESGCMSealer(testKey("k1", 1))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: NewMemoryStore(), clock: clock.NewFake(t0), sealer: &countingSealer{Sealer: sealer}, logs: &syncBuffer{}}
	cfg := Config{
		Store:    f.store,
		Sealer:   f.sealer,
		HashKeys: [][]byte{hashKey(7)},
		Issuer:   "ACME Co",
		Now:      f.clock.Now,
		Logger:   slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, m := range mod {
		m(&cfg)
	}
	f.svc, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// totpCode is the 6-digit code of secret (base32) for step, computed by the
// Service's own HOTP.
func totpCode(secretB32 string, step uint64) (string, error) {
	raw, err := b32NoPad.DecodeString(strings.TrimRight(strings.ToUpper(secretB32), "="))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%06d", newHOTPKey(raw).value(step)), nil
}

// mustB32 decodes an unpadded base32 secret.
func mustB32(t testing.TB, secretB32 string) []byte {
	t.Helper()
	raw, err := b32NoPad.DecodeString(secretB32)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// codeAt returns the code of secret for the step at now + offset steps.
func codeAt(t testing.TB, secret string, now time.Time, offset int) string {
	t.Helper()
	c, err := totpCode(secret, uint64(int64(stepAt(now))+int64(offset)))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wrongCode returns a 6-digit code that matches none of the steps within ±2 of now.
func wrongCode(t testing.TB, secret string, now time.Time) string {
	t.Helper()
	used := map[string]bool{}
	for o := -2; o <= 2; o++ {
		used[codeAt(t, secret, now, o)] = true
	}
	for _, c := range []string{"000000", "111111", "222222", "333333", "444444", "555555"} {
		if !used[c] {
			return c
		}
	}
	t.Fatal("no wrong code found")
	return ""
}

// enrolled enrolls and confirms a device for user with the code of the
// current step, then advances the clock by one step so the next
// authentication has a fresh step.
func (f *fixture) enrolled(t testing.TB, user string) Enrollment {
	t.Helper()
	e, err := f.svc.EnrollTOTP(bg, user, user+"@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ConfirmTOTP(bg, user, codeAt(t, e.Secret, f.clock.Now(), 0)); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(TOTPPeriod * time.Second)
	return e
}
