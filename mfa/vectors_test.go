package mfa

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
)

// RFC 4226 Appendix D (research/standards.md §2.1).
func TestRFC4226Vectors(t *testing.T) {
	const secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" // ASCII 12345678901234567890
	want := []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}
	for count, w := range want {
		got, err := totpCode(secret, uint64(count))
		if err != nil {
			t.Fatal(err)
		}
		if got != w {
			t.Errorf("HOTP(count=%d) = %s, want %s", count, got, w)
		}
	}
}

// rfc6238 is RFC 6238 Appendix B with each mode's own seed (research/standards.md §2.2).
var rfc6238 = []struct {
	unix                   int64
	step                   string // T as 16 hex digits
	sha1, sha256, sha512   string // 8 digits
	sha1x6, sha256x6, x512 string // 6-digit values
}{
	{59, "0000000000000001", "94287082", "46119246", "90693936", "287082", "119246", "693936"},
	{1111111109, "00000000023523EC", "07081804", "68084774", "25091201", "081804", "084774", "091201"},
	{1111111111, "00000000023523ED", "14050471", "67062674", "99943326", "050471", "062674", "943326"},
	{1234567890, "000000000273EF07", "89005924", "91819424", "93441116", "005924", "819424", "441116"},
	{2000000000, "0000000003F940AA", "69279037", "90698825", "38618901", "279037", "698825", "618901"},
	{20000000000, "0000000027BC86AA", "65353130", "77737706", "47863826", "353130", "737706", "863826"},
}

var (
	seedSHA1   = "3132333435363738393031323334353637383930"
	seedSHA256 = "3132333435363738393031323334353637383930313233343536373839303132"
	seedSHA512 = "31323334353637383930313233343536373839303132333435363738393031323334353637383930313233343536373839303132333435363738393031323334"
)

func b32hex(t *testing.T, h string) string {
	t.Helper()
	b, err := hex.DecodeString(h)
	if err != nil {
		t.Fatal(err)
	}
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
}

// All 18 RFC 6238 Appendix B vectors (6 times × 3 algorithms, 8 digits), the
// 6-digit values derived from them, and the step numbers, through the same
// pquerna/otp code path the Service uses.
func TestRFC6238Vectors(t *testing.T) {
	seeds := map[otp.Algorithm]string{
		otp.AlgorithmSHA1:   b32hex(t, seedSHA1),
		otp.AlgorithmSHA256: b32hex(t, seedSHA256),
		otp.AlgorithmSHA512: b32hex(t, seedSHA512),
	}
	if seeds[otp.AlgorithmSHA1] != "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" ||
		seeds[otp.AlgorithmSHA256] != "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA" ||
		seeds[otp.AlgorithmSHA512] != "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNA" {
		t.Fatal("seed base32 differs from research/standards.md §2.2")
	}
	n := 0
	for _, v := range rfc6238 {
		at := time.Unix(v.unix, 0).UTC()
		wantStep, err := hex.DecodeString(v.step)
		if err != nil {
			t.Fatal(err)
		}
		var step uint64
		for _, b := range wantStep {
			step = step<<8 | uint64(b)
		}
		if got := stepAt(at); got != step {
			t.Errorf("stepAt(%d) = %X, want %s", v.unix, got, v.step)
		}
		for _, c := range []struct {
			alg       otp.Algorithm
			want8, w6 string
		}{
			{otp.AlgorithmSHA1, v.sha1, v.sha1x6},
			{otp.AlgorithmSHA256, v.sha256, v.sha256x6},
			{otp.AlgorithmSHA512, v.sha512, v.x512},
		} {
			for _, d := range []struct {
				digits otp.Digits
				want   string
			}{{otp.DigitsEight, c.want8}, {otp.DigitsSix, c.w6}} {
				got, err := totp.GenerateCodeCustom(seeds[c.alg], at, totp.ValidateOpts{Period: TOTPPeriod, Digits: d.digits, Algorithm: c.alg})
				if err != nil {
					t.Fatal(err)
				}
				if got != d.want {
					t.Errorf("t=%d %s %d digits: got %s, want %s", v.unix, c.alg, d.digits, got, d.want)
				}
				if d.digits == otp.DigitsEight {
					n++
				}
			}
		}
		// The Service's own path (SHA1, 6 digits, step from stepAt).
		got, err := totpCode(seeds[otp.AlgorithmSHA1], stepAt(at))
		if err != nil || got != v.sha1x6 {
			t.Errorf("totpCode at %d = %s, %v; want %s", v.unix, got, err, v.sha1x6)
		}
		matched, ok := matchStep(mustB32(t, seeds[otp.AlgorithmSHA1]), v.sha1x6, at, 0)
		if !ok || matched != step {
			t.Errorf("matchStep at %d = %X, %v; want %X", v.unix, matched, ok, step)
		}
	}
	if n != 18 {
		t.Fatalf("checked %d 8-digit vectors, want 18", n)
	}
}

// The RFC's SHA256 column needs the 32-byte seed: with the 20-byte one the
// result differs (research/standards.md §2.2 negative check).
func TestRFC6238WrongSeedLength(t *testing.T) {
	got, err := totp.GenerateCodeCustom(b32hex(t, seedSHA1), time.Unix(59, 0), totp.ValidateOpts{Period: 30, Digits: otp.DigitsEight, Algorithm: otp.AlgorithmSHA256})
	if err != nil {
		t.Fatal(err)
	}
	if got != "32247374" {
		t.Fatalf("SHA256 with the 20-byte seed at 59 = %s, want 32247374", got)
	}
	if got == "46119246" {
		t.Fatal("the 20-byte seed reproduced the RFC SHA256 vector")
	}
}

func TestStepAt(t *testing.T) {
	for _, c := range []struct {
		unix int64
		want uint64
	}{{-1, 0}, {0, 0}, {29, 0}, {30, 1}, {59, 1}, {60, 2}, {1 << 40, (1 << 40) / 30}} {
		if got := stepAt(time.Unix(c.unix, 0)); got != c.want {
			t.Errorf("stepAt(%d) = %d, want %d", c.unix, got, c.want)
		}
	}
	// Before the epoch, and in step 0, nothing matches.
	code, _ := totpCode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", 0)
	if _, ok := matchStep(mustB32(t, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"), code, time.Unix(10, 0), 1); ok {
		t.Fatal("step 0 matched; it can never pass the replay guard and must not")
	}
}

// The Service's HOTP agrees with pquerna/otp's for random secrets (of any
// length) and counters (pquerna/otp is the independent reference here).
func TestHOTPMatchesPquerna(t *testing.T) {
	for i := 0; i < 200; i++ {
		secret := make([]byte, 1+mrand.IntN(100)) // longer than a block too (RFC 2104 §2)
		if _, err := rand.Read(secret); err != nil {
			t.Fatal(err)
		}
		counter := mrand.Uint64N(1 << 40)
		want, err := hotp.GenerateCodeCustom(b32NoPad.EncodeToString(secret), counter,
			hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprintf("%06d", newHOTPKey(secret).value(counter)); got != want {
			t.Fatalf("HOTP(%x, %d) = %s, pquerna/otp says %s", secret, counter, got, want)
		}
	}
}
