package devicebind_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authkit/authkit/devicebind"
	"github.com/authkit/authkit/internal/clock"
	"github.com/authkit/authkit/internal/race"
)

// device is a client's device key, signing as WebCrypto does: raw r‖s.
type device struct{ key *ecdsa.PrivateKey }

func newDevice(t testing.TB) device {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return device{k}
}

// pub is the compressed SEC1 point in lower-case hex.
func (d device) pub() string {
	b, err := d.key.PublicKey.Bytes()
	if err != nil {
		panic(err)
	}
	x, y := b[1:33], b[33:]
	c := append([]byte{2 | y[31]&1}, x...)
	return hex.EncodeToString(c)
}

// sign returns r‖s; highS forces the high-S form (s > n/2).
func (d device) sign(t testing.TB, msg string, highS bool) string {
	h := sha256.Sum256([]byte(msg))
	r, s, err := ecdsa.Sign(rand.Reader, d.key, h[:])
	if err != nil {
		t.Fatal(err)
	}
	n := elliptic.P256().Params().N
	half := new(big.Int).Rsh(n, 1)
	if (s.Cmp(half) > 0) != highS {
		s = new(big.Int).Sub(n, s)
	}
	out := make([]byte, 64)
	r.FillBytes(out[:32])
	s.FillBytes(out[32:])
	return hex.EncodeToString(out)
}

func (d device) proof(t testing.TB, nonce string) devicebind.Proof {
	return devicebind.Proof{Nonce: nonce, PublicKey: d.pub(), Signature: d.sign(t, nonce, false)}
}

func newService(t testing.TB) (*devicebind.Service, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	s, err := devicebind.New(devicebind.Config{Store: devicebind.NewMemoryStore(), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return s, clk
}

func issue(t testing.TB, s *devicebind.Service, n int) []string {
	t.Helper()
	ns, err := s.Issue(t.Context(), n)
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

func TestIssue(t *testing.T) {
	s, _ := newService(t)
	ns := issue(t, s, devicebind.MaxNoncesPerCall)
	seen := map[string]bool{}
	for _, n := range ns {
		if len(n) != 43 || seen[n] {
			t.Fatalf("nonce %q: want 43 characters, all distinct", n)
		}
		seen[n] = true
	}
	for _, n := range []int{0, -1, devicebind.MaxNoncesPerCall + 1} {
		if _, err := s.Issue(t.Context(), n); err == nil {
			t.Errorf("Issue(%d) succeeded", n)
		}
	}
	if _, err := devicebind.New(devicebind.Config{}); !errors.Is(err, devicebind.ErrConfig) {
		t.Errorf("New without a Store = %v, want ErrConfig", err)
	}
	if _, err := devicebind.New(devicebind.Config{Store: devicebind.NewMemoryStore(), NonceTTL: -time.Second}); !errors.Is(err, devicebind.ErrConfig) {
		t.Errorf("New with a negative TTL = %v, want ErrConfig", err)
	}
}

func TestVerify(t *testing.T) {
	s, clk := newService(t)
	d, other := newDevice(t), newDevice(t)
	ctx := t.Context()

	t.Run("low-S and high-S both verify, once", func(t *testing.T) {
		for _, high := range []bool{false, true} {
			n := issue(t, s, 1)[0]
			p := devicebind.Proof{Nonce: n, PublicKey: d.pub(), Signature: d.sign(t, n, high)}
			got, err := s.Verify(ctx, p)
			if err != nil || got.PublicKey != d.pub() || !got.Known() {
				t.Fatalf("high-S %v: %+v %v", high, got, err)
			}
			if _, err := s.Verify(ctx, p); !errors.Is(err, devicebind.ErrUnknownNonce) {
				t.Fatalf("replay: %v, want ErrUnknownNonce", err)
			}
		}
	})
	t.Run("upper-case key is the same device", func(t *testing.T) {
		n := issue(t, s, 1)[0]
		p := d.proof(t, n)
		p.PublicKey = strings.ToUpper(p.PublicKey)
		got, err := s.Verify(ctx, p)
		if err != nil || got.PublicKey != d.pub() {
			t.Fatalf("%+v %v", got, err)
		}
	})
	t.Run("refusals change nothing", func(t *testing.T) {
		n := issue(t, s, 1)[0]
		good := d.proof(t, n)
		notOnCurve := "02" + strings.Repeat("ff", 32)
		for _, tc := range []struct {
			name string
			p    devicebind.Proof
			want error
		}{
			{"other key", devicebind.Proof{Nonce: n, PublicKey: other.pub(), Signature: good.Signature}, devicebind.ErrBadSignature},
			{"signature of another message", devicebind.Proof{Nonce: n, PublicKey: d.pub(), Signature: d.sign(t, n+"x", false)}, devicebind.ErrBadSignature},
			{"zero signature", devicebind.Proof{Nonce: n, PublicKey: d.pub(), Signature: strings.Repeat("00", 64)}, devicebind.ErrBadSignature},
			{"DER signature", devicebind.Proof{Nonce: n, PublicKey: d.pub(), Signature: "30440220" + good.Signature[:64] + "0220" + good.Signature[64:]}, devicebind.ErrMalformed},
			{"short signature", devicebind.Proof{Nonce: n, PublicKey: d.pub(), Signature: good.Signature[:126]}, devicebind.ErrMalformed},
			{"hex garbage", devicebind.Proof{Nonce: n, PublicKey: d.pub(), Signature: strings.Repeat("zz", 64)}, devicebind.ErrMalformed},
			{"uncompressed key", devicebind.Proof{Nonce: n, PublicKey: "04" + d.pub()[2:] + d.pub()[2:], Signature: good.Signature}, devicebind.ErrMalformed},
			{"key not on the curve", devicebind.Proof{Nonce: n, PublicKey: notOnCurve, Signature: good.Signature}, devicebind.ErrMalformed},
			{"empty nonce", devicebind.Proof{PublicKey: d.pub(), Signature: good.Signature}, devicebind.ErrMalformed},
			{"long nonce", devicebind.Proof{Nonce: strings.Repeat("n", 129), PublicKey: d.pub(), Signature: good.Signature}, devicebind.ErrMalformed},
		} {
			_, err := s.Verify(ctx, tc.p)
			if !errors.Is(err, tc.want) || !errors.Is(err, devicebind.ErrInvalidProof) {
				t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
			}
		}
		// None of them used the nonce up.
		if _, err := s.Verify(ctx, good); err != nil {
			t.Fatalf("good proof after refusals: %v", err)
		}
	})
	t.Run("unknown and expired nonces", func(t *testing.T) {
		if _, err := s.Verify(ctx, d.proof(t, "never-issued-nonce")); !errors.Is(err, devicebind.ErrUnknownNonce) {
			t.Fatalf("unknown: %v", err)
		}
		n := issue(t, s, 1)[0]
		clk.Advance(devicebind.DefaultNonceTTL)
		if _, err := s.Verify(ctx, d.proof(t, n)); !errors.Is(err, devicebind.ErrUnknownNonce) {
			t.Fatalf("expired: %v", err)
		}
	})
	t.Run("parallel: one nonce proves once", func(t *testing.T) {
		p := d.proof(t, issue(t, s, 1)[0])
		wins := 0
		for _, err := range race.Run(32, func(int) error { _, err := s.Verify(ctx, p); return err }) {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, devicebind.ErrUnknownNonce):
				t.Fatal(err)
			}
		}
		if wins != 1 {
			t.Fatalf("%d of 32 parallel proofs with one nonce succeeded, want 1", wins)
		}
	})
}

func TestVerifyRequest(t *testing.T) {
	s, _ := newService(t)
	d := newDevice(t)
	req := func(h map[string]string) *http.Request {
		r, _ := http.NewRequest("POST", "http://x/refresh", nil)
		for k, v := range h {
			r.Header.Set(k, v)
		}
		return r
	}
	got, err := s.VerifyRequest(t.Context(), req(nil))
	if err != nil || got.Known() {
		t.Fatalf("no headers: %+v %v, want an unknown device", got, err)
	}
	n := issue(t, s, 1)[0]
	p := d.proof(t, n)
	h := map[string]string{devicebind.HeaderNonce: p.Nonce, devicebind.HeaderPublicKey: p.PublicKey, devicebind.HeaderSignature: p.Signature}
	for _, drop := range []string{devicebind.HeaderNonce, devicebind.HeaderPublicKey, devicebind.HeaderSignature} {
		partial := map[string]string{}
		for k, v := range h {
			if k != drop {
				partial[k] = v
			}
		}
		if _, err := s.VerifyRequest(t.Context(), req(partial)); !errors.Is(err, devicebind.ErrMalformed) {
			t.Fatalf("without %s: %v", drop, err)
		}
	}
	got, err = s.VerifyRequest(t.Context(), req(h))
	if err != nil || got.PublicKey != d.pub() {
		t.Fatalf("%+v %v", got, err)
	}
}

func BenchmarkVerify(b *testing.B) {
	s, _ := newService(b)
	d := newDevice(b)
	proofs := make([]devicebind.Proof, 0, b.N)
	for range b.N {
		proofs = append(proofs, d.proof(b, issue(b, s, 1)[0]))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := s.Verify(b.Context(), proofs[i]); err != nil {
			b.Fatal(err)
		}
	}
}
