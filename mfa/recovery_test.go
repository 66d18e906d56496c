package mfa

import (
	"bytes"
	"encoding/base32"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/ratelimit"
)

var recoveryShape = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$`)

func TestEncodeRecovery(t *testing.T) {
	// Crockford base32 is RFC 4648 base32 with another alphabet: check
	// against encoding/base32 given that alphabet.
	enc := base32.NewEncoding(crockford).WithPadding(base32.NoPadding)
	for _, b := range [][]byte{
		make([]byte, 10),
		bytes.Repeat([]byte{0xff}, 10),
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
		[]byte("Hello!\xde\xad\xbe\xef"),
	} {
		if got, want := encodeRecovery(b), enc.EncodeToString(b); got != want {
			t.Errorf("encodeRecovery(%x) = %s, want %s", b, got, want)
		}
	}
	if got := encodeRecovery(make([]byte, 10)); got != "0000000000000000" {
		t.Fatal(got)
	}
	if got := encodeRecovery(bytes.Repeat([]byte{0xff}, 10)); got != "ZZZZZZZZZZZZZZZZ" {
		t.Fatal(got)
	}
}

func TestNormalizeRecoveryCode(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"ABCD-EFGH-JKMN-PQRS", "ABCDEFGHJKMNPQRS", true},
		{"abcd-efgh-jkmn-pqrs", "ABCDEFGHJKMNPQRS", true},
		{" abcd efgh  jkmn pqrs ", "ABCDEFGHJKMNPQRS", true},
		{"ABCDEFGHJKMNPQRS", "ABCDEFGHJKMNPQRS", true},
		{"iIlL-oO00-1111-2222", "1111000011112222", true}, // Crockford confusables
		{"0000-0000-0000-000U", "", false},                // U is excluded
		{"0000-0000-0000-000", "", false},
		{"0000-0000-0000-00000", "", false},
		{"0000-0000-0000-000*", "", false},
		{"0000-0000-0000-000é", "", false},
		{"", "", false},
		{strings.Repeat("-", 65), "", false},
		// The formatted shape (19 bytes, dashes at 4, 9 and 14) has a
		// fast path: a separator or a bad byte inside a group still fails.
		{"AB-D-EFGH-JKMN-PQRS", "", false},
		{"ABCD-EF H-JKMN-PQRS", "", false},
		{"ABCD-EFGH-JKMN-PQR\x00", "", false},
		{"ABCD-EFGH-JKMN-PQRU", "", false},
		{"ABCD EFGH-JKMN-PQRS", "ABCDEFGHJKMNPQRS", true},
		{"zzzz-yyyy-xxxx-wwww", "ZZZZYYYYXXXXWWWW", true},
	} {
		got, ok := NormalizeRecoveryCode(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("NormalizeRecoveryCode(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func FuzzNormalizeRecoveryCode(f *testing.F) {
	for _, s := range []string{"ABCD-EFGH-JKMN-PQRS", "iIlL-oO00-1111-2222", "0000-0000-0000-000U", "", " a b ", "ZZZZZZZZZZZZZZZZ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := NormalizeRecoveryCode(s)
		if want, wantOK := referenceNormalize(s); got != want || ok != wantOK {
			t.Fatalf("NormalizeRecoveryCode(%q) = %q, %v; the rule written out gives %q, %v", s, got, ok, want, wantOK)
		}
		if !ok {
			if got != "" {
				t.Fatalf("rejected input returned %q", got)
			}
			return
		}
		if len(got) != 16 || strings.Trim(got, crockford) != "" {
			t.Fatalf("NormalizeRecoveryCode(%q) = %q: not 16 Crockford characters", s, got)
		}
		if again, ok := NormalizeRecoveryCode(FormatRecoveryCode(got)); !ok || again != got {
			t.Fatalf("canonical form does not round-trip: %q -> %q", got, again)
		}
	})
}

func TestRecoveryCodes(t *testing.T) {
	f := newFixture(t)
	if ack, err := f.svc.RecoveryAcknowledgement(bg, "u"); err != nil || ack != "" {
		t.Fatalf("acknowledgement before any set = %q, %v", ack, err)
	}
	if err := f.svc.AcknowledgeRecoveryCodes(bg, "u"); !errors.Is(err, ErrNoRecoveryCodes) {
		t.Fatalf("acknowledge without a set = %v", err)
	}
	codes, err := f.svc.RecoveryCodes(bg, "u")
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != 10 {
		t.Fatalf("%d codes, want 10", len(codes))
	}
	seen := map[string]bool{}
	for _, c := range codes {
		if !recoveryShape.MatchString(c) || seen[c] {
			t.Fatalf("code %q: bad shape or repeated", c)
		}
		seen[c] = true
	}
	// GET again returns the existing set.
	again, _ := f.svc.RecoveryCodes(bg, "u")
	if strings.Join(again, ",") != strings.Join(codes, ",") {
		t.Fatalf("second call returned another set")
	}
	if ack, _ := f.svc.RecoveryAcknowledgement(bg, "u"); ack != authkit.AcknowledgementPending {
		t.Fatalf("acknowledgement = %q, want pending", ack)
	}
	if err := f.svc.AcknowledgeRecoveryCodes(bg, "u"); err != nil {
		t.Fatal(err)
	}
	if ack, _ := f.svc.RecoveryAcknowledgement(bg, "u"); ack != authkit.AcknowledgementComplete {
		t.Fatalf("acknowledgement = %q, want complete", ack)
	}

	// Typed sloppily: lower case, spaces, confusables.
	sloppy := strings.NewReplacer("-", " ", "1", "l", "0", "o").Replace(strings.ToLower(codes[3]))
	n, err := f.svc.AuthenticateRecovery(bg, "u", sloppy)
	if err != nil || n != 9 {
		t.Fatalf("AuthenticateRecovery(%q) = %d, %v; want 9 remaining", sloppy, n, err)
	}
	if _, err := f.svc.AuthenticateRecovery(bg, "u", codes[3]); !errors.Is(err, ErrInvalidRecoveryCode) {
		t.Fatalf("used code = %v, want ErrInvalidRecoveryCode", err)
	}
	if _, err := f.svc.AuthenticateRecovery(bg, "v", codes[4]); !errors.Is(err, ErrInvalidRecoveryCode) {
		t.Fatalf("another user's code = %v, want ErrInvalidRecoveryCode", err)
	}
	if _, err := f.svc.AuthenticateRecovery(bg, "u", "not a code"); !errors.Is(err, ErrInvalidRecoveryCode) {
		t.Fatalf("malformed = %v", err)
	}
	// Acknowledged codes are a secret already shown: only the count remains.
	if left, err := f.svc.RecoveryCodes(bg, "u"); !errors.Is(err, ErrRecoveryCodesAcknowledged) || left != nil {
		t.Fatalf("RecoveryCodes after acknowledgement = %v, %v", left, err)
	}
	if st, err := f.svc.RecoveryStatus(bg, "u"); err != nil || st.Count != 9 || st.Acknowledgement != authkit.AcknowledgementComplete {
		t.Fatalf("RecoveryStatus = %+v, %v", st, err)
	}
	want := append(append([]string{}, codes[:3]...), codes[4:]...)

	// Regenerating invalidates every previous code and resets the acknowledgement.
	fresh, err := f.svc.RegenerateRecoveryCodes(bg, "u")
	if err != nil || len(fresh) != 10 {
		t.Fatalf("regenerate = %d codes, %v", len(fresh), err)
	}
	for _, c := range want {
		if _, err := f.svc.AuthenticateRecovery(bg, "u", c); !errors.Is(err, ErrInvalidRecoveryCode) && !errors.Is(err, ErrRateLimited) {
			t.Fatalf("old code after regenerate = %v", err)
		}
	}
	if ack, _ := f.svc.RecoveryAcknowledgement(bg, "u"); ack != authkit.AcknowledgementPending {
		t.Fatalf("acknowledgement after regenerate = %q, want pending", ack)
	}
	// The new set is pending, so it can be shown again until acknowledged.
	if again, err := f.svc.RecoveryCodes(bg, "u"); err != nil || strings.Join(again, ",") != strings.Join(fresh, ",") {
		t.Fatalf("RecoveryCodes after regenerate = %v, %v", again, err)
	}
}

func TestRecoveryStatus(t *testing.T) {
	f := newFixture(t)
	if st, err := f.svc.RecoveryStatus(bg, "u"); err != nil || st != (RecoveryStatus{}) {
		t.Fatalf("status without a set = %+v, %v", st, err)
	}
	if _, err := f.store.GetRecoverySet(bg, "u"); !errors.Is(err, ErrNotFound) {
		t.Fatal("RecoveryStatus created a set")
	}
	if _, err := f.svc.RecoveryStatus(bg, ""); !errors.Is(err, ErrInvalidUser) {
		t.Fatalf("empty user: %v", err)
	}
	codes, err := f.svc.RecoveryCodes(bg, "u")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.AuthenticateRecovery(bg, "u", codes[0]); err != nil {
		t.Fatal(err)
	}
	if st, err := f.svc.RecoveryStatus(bg, "u"); err != nil || st.Count != 9 || st.Acknowledgement != authkit.AcknowledgementPending {
		t.Fatalf("status = %+v, %v", st, err)
	}
}

func TestRecoveryStoredHashedAndSealed(t *testing.T) {
	f := newFixture(t)
	codes, _ := f.svc.RecoveryCodes(bg, "u")
	set, err := f.store.GetRecoverySet(bg, "u")
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range set.Codes {
		plain := strings.ReplaceAll(codes[i], "-", "")
		if bytes.Contains(c.Digest, []byte(plain)) || bytes.Contains(c.Sealed, []byte(plain)) {
			t.Fatal("a stored code is in the clear")
		}
		if len(c.Digest) != 32 {
			t.Fatalf("digest length %d", len(c.Digest))
		}
		// The sealed copy is bound to the user.
		if _, err := f.sealer.Open(c.Sealed, recoveryAD("v")); !errors.Is(err, ErrSealedOpen) {
			t.Fatalf("sealed code opened for another user: %v", err)
		}
	}
}

// Codes hashed under an old key still work after the hash key is rotated.
func TestRecoveryHashKeyRotation(t *testing.T) {
	f := newFixture(t)
	codes, _ := f.svc.RecoveryCodes(bg, "u")
	svc2, err := New(Config{Store: f.store, Sealer: f.sealer, HashKeys: [][]byte{hashKey(9), hashKey(7)}, Issuer: "x", Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := svc2.AuthenticateRecovery(bg, "u", codes[0]); err != nil || n != 9 {
		t.Fatalf("after rotation = %d, %v", n, err)
	}
	fresh, _ := svc2.RegenerateRecoveryCodes(bg, "u")
	if _, err := f.svc.AuthenticateRecovery(bg, "u", fresh[0]); !errors.Is(err, ErrInvalidRecoveryCode) {
		t.Fatalf("a code hashed under the new key verified with only the old key: %v", err)
	}
}

func TestRecoveryParallelUse(t *testing.T) {
	f := newFixture(t)
	codes, _ := f.svc.RecoveryCodes(bg, "u")
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	start := make(chan struct{})
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := f.svc.AuthenticateRecovery(bg, "u", codes[0])
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, ErrInvalidRecoveryCode), errors.Is(err, ErrRateLimited):
			default:
				t.Errorf("unexpected %v", err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if wins != 1 {
		t.Fatalf("32 parallel uses of one recovery code: %d succeeded, want exactly 1", wins)
	}
}

func TestRecoveryFailureLimit(t *testing.T) {
	f := newFixture(t)
	e := f.enrolled(t, "u")
	codes, _ := f.svc.RecoveryCodes(bg, "u")
	for i := 0; i < DefaultMaxAttempts; i++ {
		if _, err := f.svc.AuthenticateRecovery(bg, "u", "0000-0000-0000-0000"); !errors.Is(err, ErrInvalidRecoveryCode) {
			t.Fatalf("wrong code %d = %v", i, err)
		}
	}
	_, err := f.svc.AuthenticateRecovery(bg, "u", codes[0])
	var tm *ratelimit.LimitedError
	if !errors.As(err, &tm) || tm.RetryAfter != DefaultFailureWindow {
		t.Fatalf("right code after %d failures = %v, want *ratelimit.LimitedError with %v", DefaultMaxAttempts, err, DefaultFailureWindow)
	}
	// The TOTP counter is separate.
	if _, err := f.svc.AuthenticateTOTP(bg, "u", "", codeAt(t, e.Secret, f.clock.Now(), 0)); err != nil {
		t.Fatalf("TOTP while recovery is limited: %v", err)
	}
	f.clock.Advance(DefaultFailureWindow)
	if n, err := f.svc.AuthenticateRecovery(bg, "u", codes[0]); err != nil || n != 9 {
		t.Fatalf("after the window = %d, %v", n, err)
	}
}

func TestRemoveDeviceAndHasVerified(t *testing.T) {
	f := newFixture(t)
	if has, err := f.svc.HasVerifiedDevice(bg, "u"); err != nil || has {
		t.Fatalf("HasVerifiedDevice of a new user = %v, %v", has, err)
	}
	if _, err := f.svc.HasVerifiedDevice(bg, ""); !errors.Is(err, ErrInvalidUser) {
		t.Fatalf("empty user: %v", err)
	}
	e, err := f.svc.EnrollTOTP(bg, "u", "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if has, _ := f.svc.HasVerifiedDevice(bg, "u"); has {
		t.Fatal("an unverified device counts")
	}
	if err := f.svc.RemoveDevice(bg, "v", e.DeviceID); !errors.Is(err, ErrDeviceNotFound) {
		t.Fatalf("another user's device: %v", err)
	}
	if err := f.svc.RemoveDevice(bg, "", e.DeviceID); !errors.Is(err, ErrInvalidUser) {
		t.Fatalf("empty user: %v", err)
	}
	if err := f.svc.RemoveDevice(bg, "u", e.DeviceID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RemoveDevice(bg, "u", e.DeviceID); !errors.Is(err, ErrDeviceNotFound) {
		t.Fatalf("removed twice: %v", err)
	}
	v := f.enrolled(t, "u")
	if has, err := f.svc.HasVerifiedDevice(bg, "u"); err != nil || !has {
		t.Fatalf("HasVerifiedDevice after confirming = %v, %v", has, err)
	}
	if err := f.svc.RemoveDevice(bg, "u", v.DeviceID); err != nil {
		t.Fatal(err)
	}
	if has, _ := f.svc.HasVerifiedDevice(bg, "u"); has {
		t.Fatal("a removed device still counts")
	}
}

// TestRecoveryInputTable checks the lookup table byte by byte against the
// rule written out: separators skipped, letters upper-cased, I and L read
// as 1, O as 0, U and anything outside [0-9A-Z] refused.
func TestRecoveryInputTable(t *testing.T) {
	for b := 0; b < 256; b++ {
		c := byte(b)
		want := byte(0)
		switch {
		case c == ' ' || c == '-' || c == '\t':
			want = skipByte
		case c >= '0' && c <= '9':
			want = c
		case c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z':
			want = c &^ 0x20 // upper case
			switch want {
			case 'I', 'L':
				want = '1'
			case 'O':
				want = '0'
			case 'U':
				want = 0
			}
		}
		if got := recoveryInput[c]; got != want {
			t.Errorf("recoveryInput[%q] = %q, want %q", c, got, want)
		}
	}
}

// referenceNormalize is NormalizeRecoveryCode's rule written out plainly,
// for the fuzz test to hold the table-driven version to.
func referenceNormalize(s string) (string, bool) {
	if len(s) > 64 {
		return "", false
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == ' ' || r == '-' || r == '\t':
			continue
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		}
		switch r {
		case 'I', 'L':
			r = '1'
		case 'O':
			r = '0'
		}
		if r > 0x7f || !strings.ContainsRune(crockford, r) {
			return "", false
		}
		b.WriteRune(r)
	}
	if b.Len() != recoveryChars {
		return "", false
	}
	return b.String(), true
}
