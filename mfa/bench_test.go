package mfa

import (
	"strconv"
	"testing"
	"time"

	"github.com/authkit/authkit/internal/cputime"
	"github.com/authkit/authkit/internal/keyedhash"
	"github.com/authkit/authkit/internal/random"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

var rawOpts = totp.ValidateOpts{Period: TOTPPeriod, Skew: 1, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

func noLimit(c *Config) {
	c.MaxAttempts = 1 << 30
	c.Logger = nil
}

// BenchmarkAuthenticateTOTP: a right code of the current step, memory store:
// attempt reservation, secret opening, code computation, replay check,
// release. Each iteration uses a fresh step (the replay guard would refuse
// a repeat).
func BenchmarkAuthenticateTOTP(b *testing.B) {
	f := newFixture(b, noLimit)
	e := f.enrolled(b, "u")
	start := f.clock.Now()
	at := func(i int) time.Time { return start.Add(time.Duration(i) * TOTPPeriod * time.Second) }
	// Codes are computed off the clock in batches (a slice of b.N codes
	// would make the garbage collector's work part of the measurement).
	const batch = 1024
	codes := make([]string, batch)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%batch == 0 {
			b.StopTimer()
			for j := range codes {
				codes[j] = codeAt(b, e.Secret, at(i+j), 0)
			}
			b.StartTimer()
		}
		f.clock.Set(at(i))
		if _, err := f.svc.AuthenticateTOTP(bg, "u", e.DeviceID, codes[i%batch]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRawValidateCustom is the floor: pquerna/otp's validator for a right
// code of the current step (it stops at the first match, as we do).
func BenchmarkRawValidateCustom(b *testing.B) {
	secret := "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	now := t0
	code := codeAt(b, secret, now, 0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if ok, _ := totp.ValidateCustom(code, secret, now, rawOpts); !ok {
			b.Fatal("not valid")
		}
	}
}

// BenchmarkAuthenticateTOTPWrong: a wrong code (three codes computed), with
// the failure limit lifted.
func BenchmarkAuthenticateTOTPWrong(b *testing.B) {
	f := newFixture(b, noLimit)
	e := f.enrolled(b, "u")
	wrong := wrongCode(b, e.Secret, f.clock.Now())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := f.svc.AuthenticateTOTP(bg, "u", e.DeviceID, wrong); err == nil {
			b.Fatal("accepted")
		}
	}
}

// BenchmarkRawValidateCustomWrong is the floor for a wrong code.
func BenchmarkRawValidateCustomWrong(b *testing.B) {
	secret := "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	wrong := wrongCode(b, secret, t0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if ok, _ := totp.ValidateCustom(wrong, secret, t0, rawOpts); ok {
			b.Fatal("valid")
		}
	}
}

// BenchmarkAuthenticateRecovery: a right recovery code (normalise, one keyed
// hash, one atomic consume), against a 100-code set refilled off the clock.
func BenchmarkAuthenticateRecovery(b *testing.B) {
	f := newFixture(b, noLimit, func(c *Config) { c.RecoveryCodeCount = 100 })
	var codes []string
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if len(codes) == 0 {
			b.StopTimer()
			codes, _ = f.svc.RegenerateRecoveryCodes(bg, "u")
			b.StartTimer()
		}
		if _, err := f.svc.AuthenticateRecovery(bg, "u", codes[0]); err != nil {
			b.Fatal(err)
		}
		codes = codes[1:]
	}
}

// BenchmarkAuthenticateRecoveryWrong: a wrong code against a full set of 10.
func BenchmarkAuthenticateRecoveryWrong(b *testing.B) {
	f := newFixture(b, noLimit)
	if _, err := f.svc.RecoveryCodes(bg, "u"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := f.svc.AuthenticateRecovery(bg, "u", "0000-0000-0000-0000"); err == nil {
			b.Fatal("accepted")
		}
	}
}

// BenchmarkRawKeyedHash is the floor of a recovery-code or token check: one
// HMAC-SHA256 under a pooled key.
func BenchmarkRawKeyedHash(b *testing.B) {
	h, _ := keyedhash.New([][]byte{hashKey(7)})
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = h.Sum("u", "0000000000000000")
	}
}

// BenchmarkEnrollTOTP: secret, id, URI, sealing and the store insert; no QR.
func BenchmarkEnrollTOTP(b *testing.B) {
	f := newFixture(b, noLimit)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := f.svc.EnrollTOTP(bg, "u"+strconv.Itoa(i), "alice@example.com"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEnrollTOTPWithQR adds a 256×256 PNG QR code.
func BenchmarkEnrollTOTPWithQR(b *testing.B) {
	f := newFixture(b, noLimit)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e, err := f.svc.EnrollTOTP(bg, "u"+strconv.Itoa(i), "alice@example.com")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.QRCodePNG(256); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIssueConsumeToken: issue a single-use token and use it.
func BenchmarkIssueConsumeToken(b *testing.B) {
	f := newFixture(b, noLimit)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tok, _, err := f.svc.IssueToken(bg, "u", "s", true)
		if err != nil {
			b.Fatal(err)
		}
		if err := f.svc.ConsumeToken(bg, "u", "s", tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRawTokenFloor: the primitives of a token round trip, 32 random
// bytes and two keyed hashes.
func BenchmarkRawTokenFloor(b *testing.B) {
	h, _ := keyedhash.New([][]byte{hashKey(7)})
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		tok, err := random.Token(nil, tokenBytes)
		if err != nil {
			b.Fatal(err)
		}
		_ = h.Sum("u", tok)
		_ = h.Sum("u", tok)
	}
}

// pairedChunk is how many operations of one side run between switches in
// the paired benchmarks: long enough that the clock reads cost nothing,
// short enough that both sides see the same machine load.
const pairedChunk = 256

// paired runs check and floor in alternating chunks of pairedChunk and
// reports each side's CPU ns/op (thread CPU time, cputime.Thread) and
// their ratio: on a busy machine the ratio of two separate wall-clock
// benchmarks mostly measures the load that differed between them.
// prepare, if not nil, runs off the clock before each chunk with the
// chunk's first index and length.
func paired(b *testing.B, prepare func(first, n int), check, floor func(i int)) {
	b.Helper()
	now, release := cputime.Thread()
	defer release()
	var tCheck, tFloor time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += pairedChunk {
		n := min(pairedChunk, b.N-done)
		if prepare != nil {
			prepare(done, n)
		}
		// Alternate which side runs first: the side right after prepare
		// (or after the other side) starts with the caches and the
		// garbage collector's state that work left behind.
		first, second := check, floor
		tFirst, tSecond := &tCheck, &tFloor
		if done/pairedChunk%2 == 1 {
			first, second = floor, check
			tFirst, tSecond = &tFloor, &tCheck
		}
		start := now()
		for i := range n {
			first(done + i)
		}
		mid := now()
		for i := range n {
			second(done + i)
		}
		end := now()
		*tFirst += mid - start
		*tSecond += end - mid
	}
	b.ReportMetric(float64(tCheck.Nanoseconds())/float64(b.N), "check-cpu-ns/op")
	b.ReportMetric(float64(tFloor.Nanoseconds())/float64(b.N), "floor-cpu-ns/op")
	b.ReportMetric(float64(tCheck)/float64(tFloor), "ratio")
}

// BenchmarkPairedRecovery: AuthenticateRecovery of a right code (memory
// store, default 10-code sets) against its floor, one keyed hash of the
// same input: the user id and the canonical code the check hashes. The
// sets are drawn off the clock for recoveryBatch chunks at a time, so that
// most chunks do not start right after the set-up's work.
func BenchmarkPairedRecovery(b *testing.B) {
	const perBatch = pairedChunk * recoveryBatch
	f := newFixture(b, noLimit)
	h, _ := keyedhash.New([][]byte{hashKey(7)})
	users := make([]string, (perBatch+DefaultRecoveryCodeCount-1)/DefaultRecoveryCodeCount)
	for i := range users {
		users[i] = "u" + strconv.Itoa(i)
	}
	var codes, canonical []string
	paired(b, func(first, _ int) {
		if first%perBatch != 0 {
			return
		}
		codes, canonical = codes[:0], canonical[:0]
		for _, u := range users {
			set, err := f.svc.RegenerateRecoveryCodes(bg, u)
			if err != nil {
				b.Fatal(err)
			}
			codes = append(codes, set...)
		}
		for _, c := range codes {
			n, _ := NormalizeRecoveryCode(c)
			canonical = append(canonical, n)
		}
	}, func(i int) {
		i %= perBatch
		if _, err := f.svc.AuthenticateRecovery(bg, users[i/DefaultRecoveryCodeCount], codes[i]); err != nil {
			b.Fatal(err)
		}
	}, func(i int) {
		i %= perBatch
		_ = h.Sum(users[i/DefaultRecoveryCodeCount], canonical[i])
	})
}

// recoveryBatch is how many chunks of BenchmarkPairedRecovery one set-up
// serves.
const recoveryBatch = 8

// BenchmarkPairedTOTP: AuthenticateTOTP of a right code (memory store, a
// fresh step each time) against pquerna/otp's ValidateCustom of a right
// code of the current step, in alternating chunks.
func BenchmarkPairedTOTP(b *testing.B) {
	f := newFixture(b, noLimit)
	e := f.enrolled(b, "u")
	start := f.clock.Now()
	at := func(i int) time.Time { return start.Add(time.Duration(i) * TOTPPeriod * time.Second) }
	codes := make([]string, b.N)
	for i := range codes {
		codes[i] = codeAt(b, e.Secret, at(i), 0)
	}
	secret := "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	raw := codeAt(b, secret, t0, 0)
	paired(b, nil, func(i int) {
		f.clock.Set(at(i))
		if _, err := f.svc.AuthenticateTOTP(bg, "u", e.DeviceID, codes[i]); err != nil {
			b.Fatal(err)
		}
	}, func(int) {
		if ok, _ := totp.ValidateCustom(raw, secret, t0, rawOpts); !ok {
			b.Fatal("not valid")
		}
	})
}
