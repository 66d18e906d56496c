package session_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/authkit/authkit/session"
	"github.com/golang-jwt/jwt/v5"
)

// Benchmarks put each hot path next to raw golang-jwt doing the same
// work on the same claims: signing both tokens (Mint), and parsing one
// token with the same parser options (Verify).
//
//	go test -run '^$' -bench . -benchmem -benchtime=200ms -count=3 ./session/

const benchSID = "6d1c8f0e-3b2a-4c5d-8e9f-0a1b2c3d4e5f"

type benchSet struct {
	f              *fixture
	tokens         session.Tokens
	full, minified *session.Claims
}

func newBenchSet(b *testing.B, alg session.Algorithm, withStore bool, creds int) *benchSet {
	b.Helper()
	f := newFixture(b, alg, withStore)
	opts := session.MintOptions{SessionID: benchSID}
	if withStore {
		opts.SessionID = ""
	}
	tok, err := f.m.Mint(context.Background(), testUser(creds), opts)
	if err != nil {
		b.Fatal(err)
	}
	mini, err := f.m.Verify(context.Background(), tok.MinifiedJWT, session.KindMinified)
	if err != nil {
		b.Fatal(err)
	}
	return &benchSet{f: f, tokens: tok, full: tok.Claims, minified: mini}
}

// jwtClaims gives golang-jwt's generic path the same claim set: Claims'
// own JSON, and the accessors golang-jwt's validator reads.
type jwtClaims struct{ session.Claims }

func date(t time.Time) (*jwt.NumericDate, error) {
	if t.IsZero() {
		return nil, nil
	}
	return jwt.NewNumericDate(t), nil
}

func (c *jwtClaims) GetExpirationTime() (*jwt.NumericDate, error) { return date(c.ExpiresAt) }
func (c *jwtClaims) GetIssuedAt() (*jwt.NumericDate, error)       { return date(c.IssuedAt) }
func (c *jwtClaims) GetNotBefore() (*jwt.NumericDate, error)      { return date(c.NotBefore) }
func (c *jwtClaims) GetIssuer() (string, error)                   { return c.Issuer, nil }
func (c *jwtClaims) GetSubject() (string, error)                  { return c.Subject, nil }
func (c *jwtClaims) GetAudience() (jwt.ClaimStrings, error)       { return c.Audience, nil }

func rawSign(b *testing.B, s *benchSet, alg session.Algorithm, typ string, c *session.Claims) string {
	t := jwt.NewWithClaims(jwt.GetSigningMethod(string(alg)), &jwtClaims{*c})
	t.Header["kid"] = s.f.key.KID()
	t.Header["typ"] = typ
	out, err := t.SignedString(testPriv(b, alg, 0))
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// BenchmarkMint: Mint of a full and a minified token for a user with two
// credentials, in an existing session, without a store.
func BenchmarkMint(b *testing.B) {
	for _, alg := range algs {
		b.Run(string(alg), func(b *testing.B) {
			s := newBenchSet(b, alg, false, 2)
			user := testUser(2)
			ctx := context.Background()
			opts := session.MintOptions{SessionID: benchSID}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.f.m.Mint(ctx, user, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRawSignBoth: golang-jwt signing the same two claim sets.
func BenchmarkRawSignBoth(b *testing.B) {
	for _, alg := range algs {
		b.Run(string(alg), func(b *testing.B) {
			s := newBenchSet(b, alg, false, 2)
			b.ReportAllocs()
			for b.Loop() {
				rawSign(b, s, alg, session.TypFull, s.full)
				rawSign(b, s, alg, session.TypMinified, s.minified)
			}
		})
	}
}

// BenchmarkVerify: Verify of each token kind, stateless and with the
// memory store's revocation check.
func BenchmarkVerify(b *testing.B) {
	for _, alg := range algs {
		for _, store := range []bool{false, true} {
			s := newBenchSet(b, alg, store, 2)
			ctx := context.Background()
			name := string(alg)
			if store {
				name += "/store"
			}
			for _, tc := range []struct {
				kind string
				tok  string
			}{{"full", s.tokens.JWT}, {"minified", s.tokens.MinifiedJWT}} {
				b.Run(name+"/"+tc.kind, func(b *testing.B) {
					b.ReportAllocs()
					b.ReportMetric(float64(len(tc.tok)), "token-bytes")
					for b.Loop() {
						if _, err := s.f.m.Verify(ctx, tc.tok, session.KindSession); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}

// BenchmarkRawParse: golang-jwt parsing the same tokens into the same
// claims type with the same options, the key handed over directly.
func BenchmarkRawParse(b *testing.B) {
	for _, alg := range algs {
		s := newBenchSet(b, alg, false, 2)
		pub := s.f.key.Public()
		p := jwt.NewParser(jwt.WithLeeway(30e9), jwt.WithTimeFunc(s.f.clk.Now), jwt.WithIssuedAt(),
			jwt.WithExpirationRequired(), jwt.WithIssuer(testIssuer), jwt.WithStrictDecoding(),
			jwt.WithValidMethods([]string{string(alg)}))
		kf := func(*jwt.Token) (any, error) { return pub, nil }
		for _, tc := range []struct {
			kind string
			tok  string
		}{{"full", s.tokens.JWT}, {"minified", s.tokens.MinifiedJWT}} {
			b.Run(string(alg)+"/"+tc.kind, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := p.ParseWithClaims(tc.tok, new(jwtClaims), kf); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkVerifyElevated: a multi-use elevated token with scope check.
func BenchmarkVerifyElevated(b *testing.B) {
	s := newBenchSet(b, session.ES256, true, 1)
	ctx := context.Background()
	el, _, err := s.f.m.MintElevated(ctx, s.full, session.ElevatedOptions{Scopes: tokensScopes()})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.f.m.VerifyElevated(ctx, el, tokensScopes()[0], s.full); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTokenSize reports token sizes (bytes) for 1 and 10 credentials.
func BenchmarkTokenSize(b *testing.B) {
	for _, alg := range algs {
		for _, n := range []int{1, 10} {
			b.Run(fmt.Sprintf("%s/creds=%d", alg, n), func(b *testing.B) {
				s := newBenchSet(b, alg, false, n)
				for b.Loop() {
				}
				b.ReportMetric(float64(len(s.tokens.JWT)), "full-bytes")
				b.ReportMetric(float64(len(s.tokens.MinifiedJWT)), "minified-bytes")
			})
		}
	}
}

// BenchmarkPaired alternates our call and the raw golang-jwt call in one
// loop and reports the median of each and their ratio. On a shared, loaded machine
// this ratio is far steadier than comparing two separate benchmarks,
// because both sides see the same load.
func BenchmarkPaired(b *testing.B) {
	for _, alg := range algs {
		s := newBenchSet(b, alg, false, 2)
		ctx := context.Background()
		user := testUser(2)
		opts := session.MintOptions{SessionID: benchSID}
		pub := s.f.key.Public()
		p := jwt.NewParser(jwt.WithLeeway(30e9), jwt.WithTimeFunc(s.f.clk.Now), jwt.WithIssuedAt(),
			jwt.WithExpirationRequired(), jwt.WithIssuer(testIssuer), jwt.WithStrictDecoding(),
			jwt.WithValidMethods([]string{string(alg)}))
		kf := func(*jwt.Token) (any, error) { return pub, nil }
		verify := func(tok string) (func(), func()) {
			return func() {
					if _, err := s.f.m.Verify(ctx, tok, session.KindSession); err != nil {
						b.Fatal(err)
					}
				}, func() {
					if _, err := p.ParseWithClaims(tok, new(jwtClaims), kf); err != nil {
						b.Fatal(err)
					}
				}
		}
		vfOurs, vfRaw := verify(s.tokens.JWT)
		vmOurs, vmRaw := verify(s.tokens.MinifiedJWT)
		for _, tc := range []struct {
			name      string
			ours, raw func()
		}{
			{"mint", func() {
				if _, err := s.f.m.Mint(ctx, user, opts); err != nil {
					b.Fatal(err)
				}
			}, func() {
				rawSign(b, s, alg, session.TypFull, s.full)
				rawSign(b, s, alg, session.TypMinified, s.minified)
			}},
			{"verify-full", vfOurs, vfRaw},
			{"verify-minified", vmOurs, vmRaw},
		} {
			b.Run(string(alg)+"/"+tc.name, func(b *testing.B) {
				var ours, raw []time.Duration
				for b.Loop() {
					t := time.Now()
					tc.ours()
					t2 := time.Now()
					tc.raw()
					raw = append(raw, time.Since(t2))
					ours = append(ours, t2.Sub(t))
				}
				// Medians: robust against the preemption spikes of a
				// shared machine.
				mo, mr := median(ours), median(raw)
				b.ReportMetric(float64(mo)/1e3, "ours-µs")
				b.ReportMetric(float64(mr)/1e3, "raw-µs")
				b.ReportMetric(float64(mo)/float64(mr), "ratio")
			})
		}
	}
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[len(d)/2]
}
