package mfa

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestNewConfig(t *testing.T) {
	sealer, _ := NewAESGCMSealer(testKey("k", 1))
	good := func() Config {
		return Config{Store: NewMemoryStore(), Sealer: sealer, HashKeys: [][]byte{hashKey(1)}, Issuer: "ACME"}
	}
	if _, err := New(good()); err != nil {
		t.Fatalf("New(good) = %v", err)
	}
	for name, mod := range map[string]func(*Config){
		"no store":       func(c *Config) { c.Store = nil },
		"no sealer":      func(c *Config) { c.Sealer = nil },
		"no issuer":      func(c *Config) { c.Issuer = "" },
		"colon issuer":   func(c *Config) { c.Issuer = "a:b" },
		"no hash keys":   func(c *Config) { c.HashKeys = nil },
		"short hash key": func(c *Config) { c.HashKeys = [][]byte{make([]byte, 31)} },
		"skew 3":         func(c *Config) { c.Skew = 3 },
		"negative ttl":   func(c *Config) { c.SingleUseTokenTTL = -time.Second },
		"negative max":   func(c *Config) { c.MaxAttempts = -1 },
		"huge recovery":  func(c *Config) { c.RecoveryCodeCount = 1000 },
	} {
		c := good()
		mod(&c)
		if _, err := New(c); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: New = %v, want ErrConfig", name, err)
		}
	}
}

func TestEnrollConfirmAuthenticate(t *testing.T) {
	f := newFixture(t)
	e, err := f.svc.EnrollTOTP(bg, "u1", "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Secret) != 32 || e.Type != DeviceTypeTOTP || e.DeviceID == "" {
		t.Fatalf("enrollment = %+v; want a 32-character base32 secret (160 bits)", e)
	}
	wantURI := "otpauth://totp/ACME%20Co:alice@example.com?secret=" + e.Secret + "&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30"
	if e.URI != wantURI {
		t.Fatalf("URI = %s\nwant  %s", e.URI, wantURI)
	}
	list, _ := f.svc.ListDevices(bg, "u1")
	if len(list) != 1 || list[0].Verified || list[0].VerifiedAt != nil || list[0].Default {
		t.Fatalf("after enroll: %+v; want one unverified, non-default device", list)
	}
	_, err = f.svc.AuthenticateTOTP(bg, "u1", "", codeAt(t, e.Secret, t0, 0))
	if !errors.Is(err, ErrDeviceNotFound) {
		t.Fatalf("authenticate before confirm = %v, want ErrDeviceNotFound", err)
	}
	_, err = f.svc.ConfirmTOTP(bg, "u1", wrongCode(t, e.Secret, t0))
	if !errors.Is(err, ErrInvalidCode) {
		t.Fatalf("confirm with a wrong code = %v, want ErrInvalidCode", err)
	}
	code := codeAt(t, e.Secret, t0, 0)
	d, err := f.svc.ConfirmTOTP(bg, "u1", code)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Verified || !d.Default || d.VerifiedAt == nil || !d.VerifiedAt.Equal(t0) || d.ID != e.DeviceID {
		t.Fatalf("confirmed device = %+v", d)
	}
	// The confirming code's step counts as used.
	if _, err := f.svc.AuthenticateTOTP(bg, "u1", "", code); !errors.Is(err, ErrInvalidCode) {
		t.Fatalf("authenticate with the confirming code = %v, want ErrInvalidCode", err)
	}
	if _, err := f.svc.ConfirmTOTP(bg, "u1", code); !errors.Is(err, ErrNoPendingDevice) {
		t.Fatalf("confirm again = %v, want ErrNoPendingDevice", err)
	}
	f.clock.Advance(30 * time.Second)
	got, err := f.svc.AuthenticateTOTP(bg, "u1", e.DeviceID, codeAt(t, e.Secret, f.clock.Now(), 0))
	if err != nil || got.ID != e.DeviceID {
		t.Fatalf("authenticate = %+v, %v", got, err)
	}
}

func TestConfirmNewestPending(t *testing.T) {
	f := newFixture(t)
	first := f.enrolled(t, "u1")
	a, _ := f.svc.EnrollTOTP(bg, "u1", "a")
	f.clock.Advance(time.Second)
	b, _ := f.svc.EnrollTOTP(bg, "u1", "b")
	// A code from the older pending device does not confirm the newest.
	if _, err := f.svc.ConfirmTOTP(bg, "u1", codeAt(t, a.Secret, f.clock.Now(), 0)); !errors.Is(err, ErrInvalidCode) {
		t.Fatalf("confirm with the older pending device's code = %v, want ErrInvalidCode", err)
	}
	d, err := f.svc.ConfirmTOTP(bg, "u1", codeAt(t, b.Secret, f.clock.Now(), 0))
	if err != nil || d.ID != b.DeviceID || d.Default {
		t.Fatalf("confirm = %+v, %v; want device b, not default (the first device is)", d, err)
	}
	d, err = f.svc.ConfirmTOTP(bg, "u1", codeAt(t, a.Secret, f.clock.Now(), 0))
	if err != nil || d.ID != a.DeviceID {
		t.Fatalf("confirm = %+v, %v; want device a next", d, err)
	}
	list, _ := f.svc.ListDevices(bg, "u1")
	if len(list) != 3 || list[0].ID != first.DeviceID || !list[0].Default {
		t.Fatalf("devices = %+v", list)
	}
}

func TestSkew(t *testing.T) {
	for _, c := range []struct {
		skew   int
		offset int
		ok     bool
	}{
		{0, 0, true}, {0, -1, true}, {0, 1, true}, {0, -2, false}, {0, 2, false}, // 0 = default ±1
		{-1, 0, true}, {-1, -1, false}, {-1, 1, false},
		{2, -2, true}, {2, 2, true}, {2, -3, false}, {2, 3, false},
	} {
		f := newFixture(t, func(cfg *Config) { cfg.Skew = c.skew })
		e := f.enrolled(t, "u")
		f.clock.Advance(10 * TOTPPeriod * time.Second) // far from the confirming step
		_, err := f.svc.AuthenticateTOTP(bg, "u", "", codeAt(t, e.Secret, f.clock.Now(), c.offset))
		if c.ok && err != nil || !c.ok && !errors.Is(err, ErrInvalidCode) {
			t.Errorf("skew %d, code of step %+d: err = %v, want ok=%v", c.skew, c.offset, err, c.ok)
		}
	}
}

func TestReplay(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.MaxAttempts = 100 })
	e := f.enrolled(t, "u")
	now := f.clock.Now()
	cur := codeAt(t, e.Secret, now, 0)
	if _, err := f.svc.AuthenticateTOTP(bg, "u", "", cur); err != nil {
		t.Fatal(err)
	}
	// The same code again, in the same step and in the next one (still inside the skew window).
	if _, err := f.svc.AuthenticateTOTP(bg, "u", "", cur); !errors.Is(err, ErrInvalidCode) {
		t.Fatalf("replay = %v, want ErrInvalidCode", err)
	}
	f.clock.Advance(30 * time.Second)
	if _, err := f.svc.AuthenticateTOTP(bg, "u", "", cur); !errors.Is(err, ErrInvalidCode) {
		t.Fatalf("replay one step later (within skew) = %v, want ErrInvalidCode", err)
	}
	// An earlier step inside the window is refused after a later one was used.
	f.clock.Advance(30 * time.Second)
	now = f.clock.Now()
	if _, err := f.svc.AuthenticateTOTP(bg, "u", "", codeAt(t, e.Secret, now, 1)); err != nil {
		t.Fatalf("code of the next step: %v", err)
	}
	for _, o := range []int{-1, 0, 1} {
		if _, err := f.svc.AuthenticateTOTP(bg, "u", "", codeAt(t, e.Secret, now, o)); !errors.Is(err, ErrInvalidCode) {
			t.Fatalf("code of step %+d after step +1 was used = %v, want ErrInvalidCode", o, err)
		}
	}
	// Two steps later the future step's successor works.
	f.clock.Advance(60 * time.Second)
	if _, err := f.svc.AuthenticateTOTP(bg, "u", "", codeAt(t, e.Secret, f.clock.Now(), 0)); err != nil {
		t.Fatalf("fresh step: %v", err)
	}
}

func TestFailureLimit(t *testing.T) {
	f := newFixture(t)
	e := f.enrolled(t, "u")
	start := f.clock.Now()
	// Successes do not count: 4 failures, a success, 1 failure = 5 failures.
	for i := 0; i < 4; i++ {
		if _, err := f.svc.AuthenticateTOTP(bg, "u", "", wrongCode(t, e.Secret, f.clock.Now())); !errors.Is(err, ErrInvalidCode) {
			t.Fatalf("wrong code %d = %v", i, err)
		}
	}
	if _, err := f.svc.AuthenticateTOTP(bg, "u", "", codeAt(t, e.Secret, f.clock.Now(), 0)); err != nil {
		t.Fatalf("right code after 4 failures: %v", err)
	}
	f.clock.Advance(time.Minute)
	if _, err := f.svc.AuthenticateTOTP(bg, "u", "", wrongCode(t, e.Secret, f.clock.Now())); !errors.Is(err, ErrInvalidCode) {
		t.Fatalf("5th failure = %v", err)
	}
	// Malformed codes are not guesses and are not counted.
	for _, bad := range []string{"", "12345", "1234567", "12a456", "１２３４５６"} {
		if _, err := f.svc.AuthenticateTOTP(bg, "u", "", bad); !errors.Is(err, ErrInvalidCode) {
			t.Fatalf("malformed %q = %v, want ErrInvalidCode", bad, err)
		}
	}
	f.clock.Advance(30 * time.Second)
	_, err := f.svc.AuthenticateTOTP(bg, "u", "", codeAt(t, e.Secret, f.clock.Now(), 0))
	var tm *TooManyAttemptsError
	if !errors.As(err, &tm) || !errors.Is(err, ErrRateLimited) {
		t.Fatalf("right code after 5 failures = %v, want *TooManyAttemptsError", err)
	}
	// The window started with the first failure, at start.
	if want := DefaultFailureWindow - f.clock.Now().Sub(start); tm.RetryAfter != want {
		t.Fatalf("RetryAfter = %v, want %v", tm.RetryAfter, want)
	}
	// Confirmation shares the limit.
	if _, err := f.svc.EnrollTOTP(bg, "u", "second"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ConfirmTOTP(bg, "u", "123456"); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("confirm while limited = %v, want ErrRateLimited", err)
	}
	f.clock.Set(start.Add(DefaultFailureWindow))
	if _, err := f.svc.AuthenticateTOTP(bg, "u", "", codeAt(t, e.Secret, f.clock.Now(), 0)); err != nil {
		t.Fatalf("right code after the window: %v", err)
	}
	// Other users are not affected.
	f2 := f.enrolled(t, "v")
	if _, err := f.svc.AuthenticateTOTP(bg, "v", "", codeAt(t, f2.Secret, f.clock.Now(), 0)); err != nil {
		t.Fatal(err)
	}
}

func TestParallelSameCode(t *testing.T) {
	f := newFixture(t)
	e := f.enrolled(t, "u")
	code := codeAt(t, e.Secret, f.clock.Now(), 0)
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	start := make(chan struct{})
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := f.svc.AuthenticateTOTP(bg, "u", "", code)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, ErrInvalidCode), errors.Is(err, ErrRateLimited):
			default:
				t.Errorf("unexpected error %v", err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if wins != 1 {
		t.Fatalf("32 parallel authentications with one valid code: %d succeeded, want exactly 1", wins)
	}
}

func TestParallelWrongCodes(t *testing.T) {
	f := newFixture(t)
	e := f.enrolled(t, "u")
	wrong := wrongCode(t, e.Secret, f.clock.Now())
	before := f.sealer.opens.Load()
	var wg sync.WaitGroup
	var mu sync.Mutex
	invalid, limited := 0, 0
	start := make(chan struct{})
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := f.svc.AuthenticateTOTP(bg, "u", "", wrong)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, ErrInvalidCode):
				invalid++
			case errors.Is(err, ErrRateLimited):
				limited++
			default:
				t.Errorf("unexpected result %v", err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if evaluated := f.sealer.opens.Load() - before; evaluated != DefaultMaxAttempts {
		t.Fatalf("32 parallel wrong codes: %d evaluated, want exactly %d", evaluated, DefaultMaxAttempts)
	}
	if invalid != DefaultMaxAttempts || limited != 32-DefaultMaxAttempts {
		t.Fatalf("invalid %d, limited %d", invalid, limited)
	}
}

func TestAuthenticateDeviceChoice(t *testing.T) {
	f := newFixture(t)
	a := f.enrolled(t, "u")
	b := f.enrolled(t, "u")
	pending, _ := f.svc.EnrollTOTP(bg, "u", "pending")
	other := f.enrolled(t, "v")
	now := f.clock.Now()
	// Without a device id, only the default device is tried.
	if _, err := f.svc.AuthenticateTOTP(bg, "u", "", codeAt(t, b.Secret, now, 0)); !errors.Is(err, ErrInvalidCode) {
		t.Fatalf("code of the non-default device without its id = %v, want ErrInvalidCode", err)
	}
	if d, err := f.svc.AuthenticateTOTP(bg, "u", "", codeAt(t, a.Secret, now, 0)); err != nil || d.ID != a.DeviceID || !d.Default {
		t.Fatalf("code of the default device = %+v, %v", d, err)
	}
	if d, err := f.svc.AuthenticateTOTP(bg, "u", b.DeviceID, codeAt(t, b.Secret, now, 0)); err != nil || d.ID != b.DeviceID {
		t.Fatalf("code of the non-default device with its id = %+v, %v", d, err)
	}
	now = now.Add(30 * time.Second)
	f.clock.Set(now)
	// With a device id, only that device.
	if _, err := f.svc.AuthenticateTOTP(bg, "u", b.DeviceID, codeAt(t, a.Secret, now, 0)); !errors.Is(err, ErrInvalidCode) {
		t.Fatalf("device a's code for device b = %v, want ErrInvalidCode", err)
	}
	for name, id := range map[string]string{"pending": pending.DeviceID, "another user's": other.DeviceID, "unknown": "nope"} {
		if _, err := f.svc.AuthenticateTOTP(bg, "u", id, "123456"); !errors.Is(err, ErrDeviceNotFound) {
			t.Errorf("%s device = %v, want ErrDeviceNotFound", name, err)
		}
	}
	if _, err := f.svc.AuthenticateTOTP(bg, "nobody", "", "123456"); !errors.Is(err, ErrDeviceNotFound) {
		t.Fatalf("user without devices = %v, want ErrDeviceNotFound", err)
	}
	if _, err := f.svc.ConfirmTOTP(bg, "nobody", "123456"); !errors.Is(err, ErrNoPendingDevice) {
		t.Fatalf("confirm without devices = %v, want ErrNoPendingDevice", err)
	}
}

func TestEnrollValidation(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.MaxDevices = 2 })
	for _, acct := range []string{"", "a:b", "tab\there", strings.Repeat("x", 256), "\xff"} {
		if _, err := f.svc.EnrollTOTP(bg, "u", acct); !errors.Is(err, ErrInvalidLabel) {
			t.Errorf("account %q = %v, want ErrInvalidLabel", acct, err)
		}
	}
	if _, err := f.svc.EnrollTOTP(bg, "", "a"); !errors.Is(err, ErrInvalidUser) {
		t.Fatalf("empty user = %v", err)
	}
	var ids []string
	for i := 0; i < 3; i++ {
		e, err := f.svc.EnrollTOTP(bg, "u", "a")
		if err != nil {
			t.Fatalf("enrollment %d: %v", i, err)
		}
		ids = append(ids, e.DeviceID)
		f.clock.Advance(time.Second)
	}
	// The third unverified enrollment replaced the oldest one instead of
	// locking the user out of enrollment.
	list, _ := f.svc.ListDevices(bg, "u")
	if len(list) != 2 || list[0].ID != ids[1] || list[1].ID != ids[2] {
		t.Fatalf("devices after 3 enrollments with MaxDevices 2: %+v, want %v", list, ids[1:])
	}
	// Once every slot holds a verified device, enrollment is refused.
	g := newFixture(t, func(c *Config) { c.MaxDevices = 2 })
	g.enrolled(t, "v")
	g.enrolled(t, "v")
	if _, err := g.svc.EnrollTOTP(bg, "v", "a"); !errors.Is(err, ErrTooManyDevices) {
		t.Fatalf("third device with 2 verified and MaxDevices 2 = %v, want ErrTooManyDevices", err)
	}
	if list, _ := g.svc.ListDevices(bg, "v"); len(list) != 2 {
		t.Fatalf("%d devices stored, want 2", len(list))
	}
}

func TestDeleteDevice(t *testing.T) {
	f := newFixture(t)
	a := f.enrolled(t, "u")
	b := f.enrolled(t, "u")
	c := f.enrolled(t, "u")
	tok, _, err := f.svc.IssueToken(bg, "u", "s1", true)
	if err != nil {
		t.Fatal(err)
	}
	// An unknown device is checked first and does not burn the token.
	if err := f.svc.DeleteDevice(bg, "u", "nope", "s1", tok); !errors.Is(err, ErrDeviceNotFound) {
		t.Fatalf("unknown device = %v", err)
	}
	for name, tk := range map[string]string{"missing": "", "garbage": "x", "unknown": strings.Repeat("A", 43)} {
		if err := f.svc.DeleteDevice(bg, "u", a.DeviceID, "s1", tk); !errors.Is(err, ErrTokenInvalid) {
			t.Errorf("%s token = %v, want ErrTokenInvalid", name, err)
		}
	}
	if err := f.svc.DeleteDevice(bg, "u", a.DeviceID, "s2", tok); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("token from another session = %v, want ErrTokenInvalid", err)
	}
	if list, _ := f.svc.ListDevices(bg, "u"); len(list) != 3 {
		t.Fatalf("refused deletes removed devices: %d left", len(list))
	}
	// Deleting the default promotes the oldest remaining verified device.
	if err := f.svc.DeleteDevice(bg, "u", a.DeviceID, "s1", tok); err != nil {
		t.Fatal(err)
	}
	list, _ := f.svc.ListDevices(bg, "u")
	if len(list) != 2 || list[0].ID != b.DeviceID || !list[0].Default || list[1].Default {
		t.Fatalf("after deleting the default: %+v; want b default", list)
	}
	// The single-use token is used up.
	if err := f.svc.DeleteDevice(bg, "u", c.DeviceID, "s1", tok); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("reused single-use token = %v, want ErrTokenInvalid", err)
	}
	// A multi-use token deletes several.
	multi, _, _ := f.svc.IssueToken(bg, "u", "", false)
	for _, id := range []string{c.DeviceID, b.DeviceID} {
		if err := f.svc.DeleteDevice(bg, "u", id, "any", multi); err != nil {
			t.Fatal(err)
		}
	}
	if list, _ := f.svc.ListDevices(bg, "u"); len(list) != 0 {
		t.Fatalf("%d devices left", len(list))
	}
}

func TestSecretSealedAtRest(t *testing.T) {
	f := newFixture(t)
	e := f.enrolled(t, "u")
	rec, err := f.store.GetDevice(bg, "u", e.DeviceID)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := b32NoPad.DecodeString(e.Secret)
	if bytes.Contains(rec.SealedSecret, raw) || bytes.Contains(rec.SealedSecret, []byte(e.Secret)) {
		t.Fatal("stored record contains the secret in the clear")
	}
	if id, ok := KeyID(rec.SealedSecret); !ok || id != "k1" {
		t.Fatalf("KeyID = %q, %v", id, ok)
	}
	// Without the key, the device cannot be used.
	otherSealer, _ := NewAESGCMSealer(testKey("k1", 99))
	svc2, _ := New(Config{Store: f.store, Sealer: otherSealer, HashKeys: [][]byte{hashKey(7)}, Issuer: "x", Now: f.clock.Now})
	if _, err := svc2.AuthenticateTOTP(bg, "u", "", codeAt(t, e.Secret, f.clock.Now(), 0)); !errors.Is(err, ErrSealedOpen) {
		t.Fatalf("authenticate with the wrong key = %v, want ErrSealedOpen", err)
	}
	// Moved onto another device id, the sealed secret does not open.
	if _, err := f.sealer.Open(rec.SealedSecret, sealAD("other-device")); !errors.Is(err, ErrSealedOpen) {
		t.Fatalf("open with another device id = %v", err)
	}
	// After a rotation (new key first, old kept) the old device still works.
	old, _ := NewAESGCMSealer(testKey("k1", 1))
	rotated, _ := NewAESGCMSealer(testKey("k2", 50), testKey("k1", 1))
	_ = old
	svc3, _ := New(Config{Store: f.store, Sealer: rotated, HashKeys: [][]byte{hashKey(7)}, Issuer: "x", Now: f.clock.Now})
	if _, err := svc3.AuthenticateTOTP(bg, "u", "", codeAt(t, e.Secret, f.clock.Now(), 0)); err != nil {
		t.Fatalf("authenticate after key rotation: %v", err)
	}
	e2, _ := svc3.EnrollTOTP(bg, "u", "new")
	rec2, _ := f.store.GetDevice(bg, "u", e2.DeviceID)
	if id, _ := KeyID(rec2.SealedSecret); id != "k2" {
		t.Fatalf("new enrollment sealed under %q, want the newest key k2", id)
	}
}

// Codes, secrets, tokens and recovery codes never reach the log.
func TestNoSecretsInLogs(t *testing.T) {
	f := newFixture(t)
	e := f.enrolled(t, "u")
	code := codeAt(t, e.Secret, f.clock.Now(), 0)
	if _, err := f.svc.AuthenticateTOTP(bg, "u", "", code); err != nil {
		t.Fatal(err)
	}
	wrong := wrongCode(t, e.Secret, f.clock.Now())
	_, _ = f.svc.AuthenticateTOTP(bg, "u", "", wrong)
	codes, _ := f.svc.RecoveryCodes(bg, "u")
	_, _ = f.svc.AuthenticateRecovery(bg, "u", codes[0])
	tok, _, _ := f.svc.IssueToken(bg, "u", "", true)
	_ = f.svc.ConsumeToken(bg, "u", "", tok)
	logs := f.logs.String()
	if !strings.Contains(logs, "totp authenticated") {
		t.Fatalf("expected events in the log, got:\n%s", logs)
	}
	secrets := []string{e.Secret, e.URI, code, wrong, tok, codes[0], strings.ReplaceAll(codes[0], "-", "")}
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Fatalf("log contains a secret value %q:\n%s", s, logs)
		}
	}
}
