package account_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/account"
	"github.com/authkit/authkit/phone"
	"github.com/authkit/authkit/verification"
	"github.com/authkit/authkit/verification/verificationtest"
)

// codes is a verification service whose codes the test reads back.
type codes struct {
	svc  *verification.Service
	sent *verificationtest.Recorder
}

func newCodes(t testing.TB) *codes {
	t.Helper()
	c := &codes{sent: &verificationtest.Recorder{}}
	var ticks int
	svc, err := verification.New(verification.Config{
		Store: verification.NewMemoryStore(), SMS: c.sent, Email: c.sent, HashKeys: [][]byte{bytes.Repeat([]byte{7}, 32)},
		// A minute per reading: past the resend cooldown, within the TTL.
		Now: func() time.Time { ticks++; return now.Add(time.Duration(ticks) * time.Minute) },
	})
	if err != nil {
		t.Fatal(err)
	}
	c.svc = svc
	return c
}

// prove starts a verification for req and proves it with the code sent to to.
func (c *codes) prove(t testing.TB, req verification.StartRequest, to string) verification.Proof {
	t.Helper()
	ctx := context.Background()
	st, err := c.svc.Start(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.svc.Prove(ctx, st.ID, c.sent.Code(t, to))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mustParse(t testing.TB, cc, national, iso string) phone.Number {
	t.Helper()
	n, err := phone.Parse(cc, national, iso)
	if err != nil {
		t.Fatalf("Parse(%s, %s, %s): %v", cc, national, iso, err)
	}
	return n
}

// TestFindOrCreateProven: a canonical proof keys its credential as Key
// would (same stored credential, same user as FindOrCreate with the
// same credential), for numbers of one-region and shared calling codes
// and for an address.
func TestFindOrCreateProven(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		req  func(t testing.TB) verification.StartRequest
		to   string
	}{
		{"US", func(t testing.TB) verification.StartRequest {
			n := mustParse(t, "1", "917 211 3333", "US")
			return verification.StartRequest{Channel: verification.ChannelSMS, Phone: &n}
		}, "+19172113333"},
		{"GB trunk prefix", func(t testing.TB) verification.StartRequest {
			n := mustParse(t, "44", "07400 123456", "GB")
			return verification.StartRequest{Channel: verification.ChannelSMS, Phone: &n}
		}, "+447400123456"},
		{"KZ shares +7", func(t testing.TB) verification.StartRequest {
			n := mustParse(t, "7", "7012345678", "KZ")
			return verification.StartRequest{Channel: verification.ChannelSMS, Phone: &n}
		}, "+77012345678"},
		{"email", func(testing.TB) verification.StartRequest {
			return verification.StartRequest{Channel: verification.ChannelEmail, Email: "Jane.Doe@Example.COM"}
		}, "jane.doe@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCodes(t)
			p := c.prove(t, tt.req(t), tt.to)
			if !p.Canonical() {
				t.Fatal("proof not canonical")
			}
			svc := newService(t, account.NewMemoryStore())
			u, created, err := svc.FindOrCreateProven(ctx, p)
			if err != nil || !created || u.NewUser == nil || !*u.NewUser {
				t.Fatalf("FindOrCreateProven = %+v, %v, %v", u, created, err)
			}
			want, _, err := svc.Key(p.Credential())
			if err != nil {
				t.Fatal(err)
			}
			if len(u.VerifiedCredentials) != 1 {
				t.Fatalf("credentials = %+v", u.VerifiedCredentials)
			}
			got := u.VerifiedCredentials[0]
			if got.ID == "" {
				t.Fatal("credential without id")
			}
			if got.Format != want.Format || got.PhoneNumber != want.PhoneNumber || got.PhoneCountryCode != want.PhoneCountryCode ||
				got.IsoCountryCode != want.IsoCountryCode || got.Email != want.Email || got.PublicIdentifier != want.PublicIdentifier || !got.SignInEnabled {
				t.Fatalf("stored %+v, Key gives %+v", got, want)
			}
			// The validating path finds the same user: one key for one identity.
			again, created, err := svc.FindOrCreate(ctx, p.Credential())
			if err != nil || created || again.ID != u.ID {
				t.Fatalf("FindOrCreate = %s, %v, %v; want %s", again.ID, created, err, u.ID)
			}
			// And a second proof of the same destination too.
			if u2, created, err := svc.FindOrCreateProven(ctx, c.prove(t, tt.req(t), tt.to)); err != nil || created || u2.ID != u.ID {
				t.Fatalf("second FindOrCreateProven = %s, %v, %v; want %s", u2.ID, created, err, u.ID)
			}
		})
	}
}

// TestFindOrCreateProvenNotCanonical: a proof that is not canonical is
// validated as FindOrCreate validates (the zero Proof is refused and
// creates nothing).
func TestFindOrCreateProvenNotCanonical(t *testing.T) {
	st := &countingStore{Store: account.NewMemoryStore()}
	svc := newService(t, st)
	_, _, err := svc.FindOrCreateProven(context.Background(), verification.Proof{})
	if !errors.Is(err, account.ErrInvalidCredential) {
		t.Fatalf("zero Proof: %v", err)
	}
	if st.calls != 0 {
		t.Fatalf("%d store calls for a refused proof", st.calls)
	}
}

// countingStore counts FindOrCreate calls.
type countingStore struct {
	account.Store
	calls int
}

func (s *countingStore) FindOrCreate(ctx context.Context, u authkit.User, c account.Credential, now time.Time) (authkit.User, bool, error) {
	s.calls++
	return s.Store.FindOrCreate(ctx, u, c, now)
}

// TestFindOrCreateProvenParsesOnce: signing in with a canonical proof
// does not parse the number again. FindOrCreate (which must validate what
// it is given) and FindOrCreateProven find the same user; the first
// allocates at least what one phone.Parse of the number allocates more
// than the second, so the second does not parse.
func TestFindOrCreateProvenParsesOnce(t *testing.T) {
	ctx := context.Background()
	n := mustParse(t, "1", "9172113333", "US")
	p := newCodes(t).prove(t, verification.StartRequest{Channel: verification.ChannelSMS, Phone: &n}, n.E164)
	svc := newService(t, account.NewMemoryStore())
	if _, _, err := svc.FindOrCreateProven(ctx, p); err != nil {
		t.Fatal(err)
	}
	cred := p.Credential()
	parse := testing.AllocsPerRun(50, func() { _, _ = phone.Parse(cred.PhoneCountryCode, cred.PhoneNumber, cred.IsoCountryCode) })
	validating := testing.AllocsPerRun(50, func() {
		if _, _, err := svc.FindOrCreate(ctx, cred); err != nil {
			t.Fatal(err)
		}
	})
	proven := testing.AllocsPerRun(50, func() {
		if _, _, err := svc.FindOrCreateProven(ctx, p); err != nil {
			t.Fatal(err)
		}
	})
	if parse < 10 || validating-proven < parse*9/10 {
		t.Fatalf("allocations: phone.Parse %.0f, FindOrCreate %.0f, FindOrCreateProven %.0f: the proven path parses", parse, validating, proven)
	}
	t.Logf("allocations: phone.Parse %.0f, FindOrCreate %.0f, FindOrCreateProven %.0f", parse, validating, proven)
}
