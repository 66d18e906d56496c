package redis

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/mfa"
	"github.com/authkit/authkit/phone"
	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/verification"
	"github.com/authkit/authkit/verification/verificationtest"
)

// End-to-end flows of the services on this store, with real clock times
// (nanoseconds, which the store keeps to the microsecond).

func TestVerificationServiceFlow(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	outbox := &verificationtest.Recorder{}
	svc, err := verification.New(verification.Config{
		Store: s.Verifications(), SMS: outbox, HashKeys: [][]byte{bytes.Repeat([]byte("k"), 32)},
	})
	if err != nil {
		t.Fatal(err)
	}
	n, err := phone.Parse("1", "9172113333", "US")
	if err != nil {
		t.Fatal(err)
	}
	st, err := svc.Start(ctx, verification.StartRequest{Channel: verification.ChannelSMS, Phone: &n})
	if err != nil {
		t.Fatal(err)
	}
	// A resend within the cooldown is refused by the store's send history.
	if _, err := svc.Resend(ctx, st.ID, verification.ResendRequest{}); !errors.Is(err, verification.ErrRateLimited) {
		t.Fatalf("Resend within the cooldown = %v, want ErrRateLimited", err)
	}
	code := outbox.Code(t, n.E164)
	wrong := "000000"
	if wrong == code {
		wrong = "111111"
	}
	if _, err := svc.Check(ctx, st.ID, wrong); !errors.Is(err, verification.ErrWrongCode) {
		t.Fatalf("Check(wrong) = %v, want ErrWrongCode", err)
	}
	cred, err := svc.Check(ctx, st.ID, code)
	if err != nil || cred.PublicIdentifier != "+19172113333" {
		t.Fatalf("Check = %+v, %v", cred, err)
	}
	if _, err := svc.Check(ctx, st.ID, code); !errors.Is(err, verification.ErrAlreadyUsed) {
		t.Fatalf("second Check = %v, want ErrAlreadyUsed", err)
	}
}

func TestMFAServiceFlow(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Now() // with nanoseconds
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	var key mfa.Key
	key.ID = "k1"
	if _, err := rand.Read(key.Secret[:]); err != nil {
		t.Fatal(err)
	}
	sealer, err := mfa.NewAESGCMSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := mfa.New(mfa.Config{Store: s.MFA(), Sealer: sealer, HashKeys: [][]byte{bytes.Repeat([]byte("h"), 32)}, Issuer: "ACME", Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	enr, err := svc.EnrollTOTP(ctx, "user-1", "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.GenerateCode(enr.Secret, clock())
	dev, err := svc.ConfirmTOTP(ctx, "user-1", code)
	if err != nil || !dev.Verified || !dev.Default {
		t.Fatalf("ConfirmTOTP = %+v, %v", dev, err)
	}
	if _, err := svc.AuthenticateTOTP(ctx, "user-1", "", code); !errors.Is(err, mfa.ErrInvalidCode) {
		t.Fatalf("replayed code = %v, want ErrInvalidCode", err)
	}
	advance(30 * time.Second)
	code, _ = totp.GenerateCode(enr.Secret, clock())
	if _, err := svc.AuthenticateTOTP(ctx, "user-1", "", code); err != nil {
		t.Fatalf("AuthenticateTOTP: %v", err)
	}
	codes, err := svc.RecoveryCodes(ctx, "user-1")
	if err != nil {
		t.Fatal(err)
	}
	if again, err := svc.RecoveryCodes(ctx, "user-1"); err != nil || again[0] != codes[0] {
		t.Fatalf("RecoveryCodes again = %v, %v; want the same set", again, err)
	}
	if n, err := svc.AuthenticateRecovery(ctx, "user-1", codes[0]); err != nil || n != len(codes)-1 {
		t.Fatalf("AuthenticateRecovery = %d, %v", n, err)
	}
	if _, err := svc.AuthenticateRecovery(ctx, "user-1", codes[0]); !errors.Is(err, mfa.ErrInvalidRecoveryCode) {
		t.Fatalf("reused recovery code = %v", err)
	}
	tok, _, err := svc.IssueToken(ctx, "user-1", "sess-1", true)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.ConsumeToken(ctx, "user-1", "sess-1", tok); err != nil {
		t.Fatalf("ConsumeToken: %v", err)
	}
	if err := svc.ConsumeToken(ctx, "user-1", "sess-1", tok); !errors.Is(err, mfa.ErrTokenInvalid) {
		t.Fatalf("second ConsumeToken = %v", err)
	}
}

func TestSessionManagerFlow(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	key, err := session.GenerateKey(session.ES256)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := session.NewKeySet(key)
	if err != nil {
		t.Fatal(err)
	}
	m, err := session.New(session.Config{Keys: keys, Issuer: "auth.example.com/env", Store: s.Sessions()})
	if err != nil {
		t.Fatal(err)
	}
	user := authkit.User{ID: "7f3e1c2a-5b6d-4e8f-9a0b-1c2d3e4f5a6b", Email: "ada@example.com"}
	tokens, err := m.Mint(ctx, user, session.MintOptions{})
	if err != nil {
		t.Fatal(err)
	}
	claims, err := m.Verify(ctx, tokens.MinifiedJWT, session.KindSession)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	users := func(context.Context, string) (authkit.User, error) { return user, nil }
	if _, err := m.Refresh(ctx, tokens.JWT, users); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	el, _, err := m.MintElevated(ctx, claims, session.ElevatedOptions{Scopes: []authkit.Scope{authkit.TokenScopes()[0]}, SingleUse: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.VerifyElevated(ctx, el, authkit.TokenScopes()[0], claims); err != nil {
		t.Fatalf("VerifyElevated: %v", err)
	}
	if _, err := m.VerifyElevated(ctx, el, authkit.TokenScopes()[0], claims); !errors.Is(err, session.ErrAlreadyUsed) {
		t.Fatalf("second VerifyElevated = %v, want ErrAlreadyUsed", err)
	}
	second, err := m.Mint(ctx, user, session.MintOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := m.RevokeAll(ctx, user.ID); err != nil || n != 2 {
		t.Fatalf("RevokeAll = %d, %v; want 2", n, err)
	}
	for _, tk := range []string{tokens.MinifiedJWT, second.MinifiedJWT} {
		if _, err := m.Verify(ctx, tk, session.KindSession); !errors.Is(err, session.ErrRevoked) {
			t.Fatalf("Verify after RevokeAll = %v, want ErrRevoked", err)
		}
	}
}
