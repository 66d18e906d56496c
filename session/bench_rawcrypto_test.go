package session_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/base64"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/authkit/authkit/internal/cputime"
	"github.com/authkit/authkit/session"
)

// BenchmarkPairedRawCrypto puts Mint and Verify next to the bare
// signature operation over the same bytes (the tokens' signing inputs):
// crypto/ecdsa or crypto/ed25519 called directly, with no JOSE, JSON or
// base64 work. Mint signs two tokens, so its floor is two signatures. The
// two calls alternate in one loop and the medians are compared, so both
// see the same load (see BenchmarkPaired): by wall time ("ratio") and by
// the thread's CPU time ("cpu-ratio").
//
//	go test -run '^$' -bench 'PairedRawCrypto' -benchmem -benchtime=300ms -count=5 ./session/
func BenchmarkPairedRawCrypto(b *testing.B) {
	for _, alg := range []session.Algorithm{session.ES256, session.EdDSA} {
		s := newBenchSet(b, alg, false, 2)
		ctx := context.Background()
		user := testUser(2)
		opts := session.MintOptions{SessionID: benchSID}
		priv := testPriv(b, alg, 0)
		inputs := [2]string{signingInput(s.tokens.JWT), signingInput(s.tokens.MinifiedJWT)}
		rawSign := func(in string) {
			var err error
			switch k := priv.(type) {
			case *ecdsa.PrivateKey:
				h := sha256.Sum256([]byte(in))
				_, err = ecdsa.SignASN1(rand.Reader, k, h[:])
			case ed25519.PrivateKey:
				_ = ed25519.Sign(k, []byte(in))
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		rawVerify := func(tok string) func() {
			in := signingInput(tok)
			sig, err := base64.RawURLEncoding.DecodeString(tok[len(in)+1:])
			if err != nil {
				b.Fatal(err)
			}
			switch k := priv.Public().(type) {
			case *ecdsa.PublicKey:
				der := derSignature(sig)
				return func() {
					h := sha256.Sum256([]byte(in))
					if !ecdsa.VerifyASN1(k, h[:], der) {
						b.Fatal("raw verify failed")
					}
				}
			case ed25519.PublicKey:
				return func() {
					if !ed25519.Verify(k, []byte(in), sig) {
						b.Fatal("raw verify failed")
					}
				}
			}
			b.Fatalf("key type %T", priv)
			return nil
		}
		verify := func(tok string) func() {
			return func() {
				if _, err := s.f.m.Verify(ctx, tok, session.KindSession); err != nil {
					b.Fatal(err)
				}
			}
		}
		for _, tc := range []struct {
			name      string
			ours, raw func()
		}{
			{"mint", func() {
				if _, err := s.f.m.Mint(ctx, user, opts); err != nil {
					b.Fatal(err)
				}
			}, func() { rawSign(inputs[0]); rawSign(inputs[1]) }},
			{"verify-full", verify(s.tokens.JWT), rawVerify(s.tokens.JWT)},
			{"verify-minified", verify(s.tokens.MinifiedJWT), rawVerify(s.tokens.MinifiedJWT)},
		} {
			b.Run(string(alg)+"/"+tc.name, func(b *testing.B) {
				cpu, release := cputime.Thread()
				defer release()
				var ours, raw, oursCPU, rawCPU []time.Duration
				for b.Loop() {
					t, c := time.Now(), cpu()
					tc.ours()
					t2, c2 := time.Now(), cpu()
					tc.raw()
					raw, rawCPU = append(raw, time.Since(t2)), append(rawCPU, cpu()-c2)
					ours, oursCPU = append(ours, t2.Sub(t)), append(oursCPU, c2-c)
				}
				mo, mr := median(ours), median(raw)
				b.ReportMetric(float64(mo)/1e3, "ours-µs")
				b.ReportMetric(float64(mr)/1e3, "raw-µs")
				b.ReportMetric(float64(mo)/float64(mr), "ratio")
				// The same by the thread's CPU time, which the other work on
				// a shared machine does not inflate.
				b.ReportMetric(float64(median(oursCPU))/float64(median(rawCPU)), "cpu-ratio")
			})
		}
	}
}

func signingInput(tok string) string { return tok[:strings.LastIndexByte(tok, '.')] }

// derSignature re-encodes a JWS ES256 signature r ‖ s as ASN.1 DER, the
// form crypto/ecdsa verifies.
func derSignature(sig []byte) []byte {
	der, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])})
	if err != nil {
		panic(err)
	}
	return der
}
