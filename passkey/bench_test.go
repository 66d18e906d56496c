package passkey_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/authkit/authkit/passkey"
	"github.com/authkit/authkit/passkey/passkeytest"
)

// The benchmarks put the Service's finish steps (parse, consume the
// challenge, verify, store) beside go-webauthn's own parse and
// verification of the same responses, so that the ratio shows what the
// Service adds. Inputs are made before the timer starts.

const benchUser = "0b6e8f0e-3f44-4c57-9a5c-1e2f3a4b5c6d"

func benchService(b *testing.B) (*passkey.Service, *passkey.MemoryStore) {
	b.Helper()
	store := passkey.NewMemoryStore()
	svc, err := passkey.New(passkey.Config{
		RP:          passkey.RelyingParty{ID: "example.com", Origins: []string{"https://example.com"}},
		Name:        "bench",
		Store:       store,
		MaxPasskeys: 1 << 30,
	})
	if err != nil {
		b.Fatal(err)
	}
	return svc, store
}

func benchWebAuthn(b *testing.B) *webauthn.WebAuthn {
	b.Helper()
	wa, err := webauthn.New(&webauthn.Config{RPID: "example.com", RPDisplayName: "bench", RPOrigins: []string{"https://example.com"}})
	if err != nil {
		b.Fatal(err)
	}
	return wa
}

type benchUserT struct{ creds []webauthn.Credential }

func (u benchUserT) WebAuthnID() []byte                         { return []byte(benchUser) }
func (u benchUserT) WebAuthnName() string                       { return benchUser }
func (u benchUserT) WebAuthnDisplayName() string                { return benchUser }
func (u benchUserT) WebAuthnCredentials() []webauthn.Credential { return u.creds }

var benchParams = []protocol.CredentialParameter{
	{Type: protocol.PublicKeyCredentialType, Algorithm: webauthncose.AlgES256},
	{Type: protocol.PublicKeyCredentialType, Algorithm: webauthncose.AlgEdDSA},
	{Type: protocol.PublicKeyCredentialType, Algorithm: webauthncose.AlgRS256},
}

// registrations makes n ES256 registration responses with their
// challenges.
func registrations(b *testing.B, svc *passkey.Service, n int) (resps [][]byte, challenges []string) {
	b.Helper()
	ctx := context.Background()
	for range n {
		o, err := svc.BeginRegistration(ctx, passkey.Registration{User: passkey.User{ID: benchUser}, SessionID: "s"})
		if err != nil {
			b.Fatal(err)
		}
		opts, _ := json.Marshal(o)
		o.ExcludeCredentials = nil
		resp, _, err := (&passkeytest.Authenticator{Origin: "https://example.com"}).Register(opts)
		if err != nil {
			b.Fatal(err)
		}
		resps, challenges = append(resps, resp), append(challenges, o.Challenge)
	}
	return resps, challenges
}

func BenchmarkFinishRegistration(b *testing.B) {
	svc, _ := benchService(b)
	resps, _ := registrations(b, svc, b.N)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := svc.FinishRegistration(ctx, benchUser, "s", resps[i]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGoWebAuthnRegistration(b *testing.B) {
	svc, _ := benchService(b)
	resps, challenges := registrations(b, svc, b.N)
	wa := benchWebAuthn(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		parsed, err := protocol.ParseCredentialCreationResponseBytes(resps[i])
		if err != nil {
			b.Fatal(err)
		}
		sd := webauthn.SessionData{Challenge: challenges[i], RelyingPartyID: "example.com", UserID: []byte(benchUser),
			UserVerification: protocol.VerificationPreferred, CredParams: benchParams,
			Extensions: protocol.SessionExtensions{Requested: []string{"credProps"}}}
		if _, err := wa.CreateCredential(benchUserT{}, sd, parsed); err != nil {
			b.Fatal(err)
		}
	}
}

// assertions registers one ES256 passkey and makes n sign-in assertions
// of it with their challenges.
func assertions(b *testing.B, svc *passkey.Service, n int) (auth *passkeytest.Authenticator, resps [][]byte, challenges []string) {
	b.Helper()
	ctx := context.Background()
	auth = &passkeytest.Authenticator{Origin: "https://example.com"}
	o, _ := svc.BeginRegistration(ctx, passkey.Registration{User: passkey.User{ID: benchUser}, SessionID: "s"})
	opts, _ := json.Marshal(o)
	reg, _, err := auth.Register(opts)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := svc.FinishRegistration(ctx, benchUser, "s", reg); err != nil {
		b.Fatal(err)
	}
	for range n {
		so, err := svc.BeginSignIn(ctx, "")
		if err != nil {
			b.Fatal(err)
		}
		opts, _ := json.Marshal(so)
		resp, err := auth.Assert(opts)
		if err != nil {
			b.Fatal(err)
		}
		resps, challenges = append(resps, resp), append(challenges, so.Challenge)
	}
	return auth, resps, challenges
}

func BenchmarkFinishSignIn(b *testing.B) {
	svc, _ := benchService(b)
	_, resps, _ := assertions(b, svc, b.N)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := svc.FinishSignIn(ctx, resps[i]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGoWebAuthnAssertion(b *testing.B) {
	svc, store := benchService(b)
	_, resps, challenges := assertions(b, svc, b.N)
	parsed0, err := protocol.ParseCredentialRequestResponseBytes(resps[0])
	if err != nil {
		b.Fatal(err)
	}
	// The stored credential, as go-webauthn needs it.
	r, err := store.GetCredential(context.Background(), parsed0.RawID)
	if err != nil {
		b.Fatal(err)
	}
	cred := webauthn.Credential{ID: r.CredentialID, PublicKey: r.PublicKey, AttestationFormat: r.AttestationFormat,
		Flags: webauthn.CredentialFlags{UserPresent: true, UserVerified: r.UserVerified, BackupEligible: r.BackupEligible}}
	wa := benchWebAuthn(b)
	user := benchUserT{creds: []webauthn.Credential{cred}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		parsed, err := protocol.ParseCredentialRequestResponseBytes(resps[i])
		if err != nil {
			b.Fatal(err)
		}
		sd := webauthn.SessionData{Challenge: challenges[i], RelyingPartyID: "example.com", UserID: []byte(benchUser),
			UserVerification: protocol.VerificationPreferred}
		if _, err := wa.ValidateLogin(user, sd, parsed); err != nil {
			b.Fatal(err)
		}
	}
}

// The paired benchmarks run ours and go-webauthn's verification of the
// same input back to back in one loop, so both see the same machine load,
// and report each half and their ratio (ours ÷ go-webauthn).

func BenchmarkRegistrationPaired(b *testing.B) {
	svc, _ := benchService(b)
	resps, challenges := registrations(b, svc, b.N)
	wa := benchWebAuthn(b)
	ctx := context.Background()
	var ours, raw time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		t0 := time.Now()
		parsed, err := protocol.ParseCredentialCreationResponseBytes(resps[i])
		if err != nil {
			b.Fatal(err)
		}
		sd := webauthn.SessionData{Challenge: challenges[i], RelyingPartyID: "example.com", UserID: []byte(benchUser),
			UserVerification: protocol.VerificationPreferred, CredParams: benchParams,
			Extensions: protocol.SessionExtensions{Requested: []string{"credProps"}}}
		if _, err := wa.CreateCredential(benchUserT{}, sd, parsed); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := svc.FinishRegistration(ctx, benchUser, "s", resps[i]); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		raw, ours = raw+t1.Sub(t0), ours+t2.Sub(t1)
	}
	reportPair(b, ours, raw)
}

func BenchmarkSignInPaired(b *testing.B) {
	svc, store := benchService(b)
	_, resps, challenges := assertions(b, svc, b.N)
	parsed0, err := protocol.ParseCredentialRequestResponseBytes(resps[0])
	if err != nil {
		b.Fatal(err)
	}
	r, err := store.GetCredential(context.Background(), parsed0.RawID)
	if err != nil {
		b.Fatal(err)
	}
	user := benchUserT{creds: []webauthn.Credential{{ID: r.CredentialID, PublicKey: r.PublicKey, AttestationFormat: r.AttestationFormat,
		Flags: webauthn.CredentialFlags{UserPresent: true, UserVerified: r.UserVerified, BackupEligible: r.BackupEligible}}}}
	wa := benchWebAuthn(b)
	ctx := context.Background()
	var ours, raw time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		t0 := time.Now()
		parsed, err := protocol.ParseCredentialRequestResponseBytes(resps[i])
		if err != nil {
			b.Fatal(err)
		}
		sd := webauthn.SessionData{Challenge: challenges[i], RelyingPartyID: "example.com", UserID: []byte(benchUser),
			UserVerification: protocol.VerificationPreferred}
		if _, err := wa.ValidateLogin(user, sd, parsed); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := svc.FinishSignIn(ctx, resps[i]); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		raw, ours = raw+t1.Sub(t0), ours+t2.Sub(t1)
	}
	reportPair(b, ours, raw)
}

func reportPair(b *testing.B, ours, raw time.Duration) {
	b.ReportMetric(float64(ours.Nanoseconds())/float64(b.N), "ours-ns/op")
	b.ReportMetric(float64(raw.Nanoseconds())/float64(b.N), "gowebauthn-ns/op")
	b.ReportMetric(float64(ours)/float64(raw), "ratio")
}
