package session

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authkit/authkit"
)

// BenchmarkBreakdown splits Mint and Verify of the full token into their
// steps, each timed alone in one loop that also times the raw signature
// operation over the same bytes, and reports each step's median as a
// fraction of that raw operation (metric "<step>/raw"): where the part of
// Mint and Verify that is not the signature goes.
//
//	go test -run '^$' -bench 'Breakdown' -benchtime=2000x -count=3 ./session/
func BenchmarkBreakdown(b *testing.B) {
	for _, alg := range []Algorithm{ES256, EdDSA} {
		b.Run(string(alg), func(b *testing.B) {
			var priv crypto.Signer
			var key *Key
			var err error
			switch alg {
			case ES256:
				k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
				priv = k
				key, err = NewKey(k)
			case EdDSA:
				_, k, _ := ed25519.GenerateKey(rand.Reader)
				priv = k
				key, err = NewKey(k)
			}
			if err != nil {
				b.Fatal(err)
			}
			now := time.Now().Truncate(time.Second)
			c := breakdownClaims(key, now)
			tok, err := sign(key, KindFull, c)
			if err != nil {
				b.Fatal(err)
			}
			dot1, dot2 := strings.IndexByte(tok, '.'), strings.LastIndexByte(tok, '.')
			input := tok[:dot2]
			payload, _ := b64.DecodeString(tok[dot1+1 : dot2])
			sig, _ := b64.DecodeString(tok[dot2+1:])
			der, _ := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])})
			rawSign := func() {
				switch k := priv.(type) {
				case *ecdsa.PrivateKey:
					h := sha256.Sum256([]byte(input))
					_, _ = ecdsa.SignASN1(rand.Reader, k, h[:])
				case ed25519.PrivateKey:
					_ = ed25519.Sign(k, []byte(input))
				}
			}
			rawVerify := func() {
				switch k := key.public.(type) {
				case *ecdsa.PublicKey:
					h := sha256.Sum256([]byte(input))
					_ = ecdsa.VerifyASN1(k, h[:], der)
				case ed25519.PublicKey:
					_ = ed25519.Verify(k, []byte(input), sig)
				}
			}
			keys, _ := NewKeySet(key)
			m, err := New(Config{Keys: keys, Issuer: c.Issuer, Audience: c.Audience[0], Stateless: true, Now: func() time.Time { return now }})
			if err != nil {
				b.Fatal(err)
			}
			// Each step is compared with the raw operation of its side
			// (floor 0: sign, 1: verify).
			steps := []struct {
				name  string
				floor int
				f     func()
			}{
				{"raw-sign", 0, rawSign},
				{"sign", 0, func() { _, _ = sign(key, KindFull, c) }},
				{"method-sign", 0, func() { _, _ = key.signInput(input) }},
				{"append-claims", 0, func() { _, _ = appendClaims(make([]byte, 0, 2048), c) }},
				{"encode-payload", 0, func() { _ = b64.EncodeToString(payload) }},
				{"hash-credentials", 0, func() { _ = hashCredentials(c.VerifiedCredentials) }},
				{"raw-verify", 1, rawVerify},
				{"parse", 1, func() {
					if _, err := m.parse(tok, KindFull); err != nil {
						b.Fatal(err)
					}
				}},
				{"method-verify", 1, func() { _ = key.method.Verify(input, sig, key.public) }},
				{"decode-payload", 1, func() { _, _ = b64.DecodeString(tok[dot1+1 : dot2]) }},
				{"decode-claims", 1, func() { _ = decodeClaims(string(payload), new(Claims)) }},
			}
			times := make([][]time.Duration, len(steps))
			for b.Loop() {
				for i, s := range steps {
					t := time.Now()
					s.f()
					times[i] = append(times[i], time.Since(t))
				}
			}
			med := make([]float64, len(steps))
			for i := range steps {
				slices.Sort(times[i])
				med[i] = float64(times[i][len(times[i])/2])
			}
			floor := [2]float64{med[0], med[6]}
			for i, s := range steps {
				if strings.HasPrefix(s.name, "raw-") {
					b.ReportMetric(med[i]/1e3, s.name+"-µs")
					continue
				}
				b.ReportMetric(med[i]/floor[s.floor], s.name+"/raw")
			}
		})
	}
}

// breakdownClaims is the full token of a user with two credentials.
func breakdownClaims(k *Key, now time.Time) *Claims {
	creds := []authkit.VerifiedCredential{
		{ID: "00000000-0000-4000-8000-000000000000", Format: authkit.FormatEmail, SignInEnabled: true, Email: "ada0@example.com", PublicIdentifier: "ada0@example.com"},
		{ID: "00000000-0000-4000-8000-000000000001", Format: authkit.FormatPhoneNumber, SignInEnabled: true, PhoneNumber: "9172113333", PhoneCountryCode: "1", IsoCountryCode: "US", PublicIdentifier: "+19172113333"},
	}
	env := "0a1b2c3d-0000-4000-8000-000000000001"
	return &Claims{
		Issuer: "auth.example.com/" + env, Subject: "7f3e1c2a-5b6d-4e8f-9a0b-1c2d3e4f5a6b", Audience: []string{"auth.example.com/" + env},
		ExpiresAt: now.Add(2 * time.Hour), IssuedAt: now, ID: "Kp2l5Kinkl8KdfIbK-0yiA", KeyID: k.kid,
		SessionID: "6d1c8f0e-3b2a-4c5d-8e9f-0a1b2c3d4e5f", EnvironmentID: env, Scope: "user:basic",
		Alias: "ada", Email: "ada@example.com", GivenName: "Ada", FamilyName: "Lovelace", Lists: []string{"beta"},
		MissingFields: []authkit.ProjectSettingsKyc{}, VerifiedCredentials: creds, VerifiedAccount: &creds[0],
		LastVerifiedCredentialID: creds[0].ID,
	}
}
