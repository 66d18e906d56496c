package mfa

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
)

// Google Authenticator wiki Key URI examples (research/standards.md §2.3).
func TestKeyURIExamples(t *testing.T) {
	got, err := KeyURI("ACME Co", "john.doe@email.com", "HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ")
	if err != nil {
		t.Fatal(err)
	}
	const want = "otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30"
	if got != want {
		t.Fatalf("KeyURI = %s\nwant     %s", got, want)
	}

	// The first example omits the default parameters; ours spells them out,
	// so compare what a parser reads.
	got, err = KeyURI("Example", "alice@google.com", "JBSWY3DPEHPK3PXP")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got, "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example") {
		t.Fatalf("KeyURI = %s", got)
	}
	for _, u := range []string{got, "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example"} {
		k, err := otp.NewKeyFromURL(u)
		if err != nil {
			t.Fatal(err)
		}
		if k.Type() != "totp" || k.Issuer() != "Example" || k.AccountName() != "alice@google.com" ||
			k.Secret() != "JBSWY3DPEHPK3PXP" || k.Period() != 30 || k.Digits() != otp.DigitsSix || k.Algorithm() != otp.AlgorithmSHA1 {
			t.Fatalf("parsed %s: issuer %q account %q secret %q", u, k.Issuer(), k.AccountName(), k.Secret())
		}
	}
	raw, _ := b32NoPad.DecodeString("JBSWY3DPEHPK3PXP")
	if !bytes.Equal(raw, []byte("Hello!\xde\xad\xbe\xef")) {
		t.Fatalf("JBSWY3DPEHPK3PXP = %x", raw)
	}
	// '+' is escaped so that apps decoding '+' as space still show it.
	got, _ = KeyURI("A+B", "x+y@z", "JBSWY3DPEHPK3PXP")
	if !strings.HasPrefix(got, "otpauth://totp/A%2BB:x%2By@z?secret=JBSWY3DPEHPK3PXP&issuer=A%2BB&") {
		t.Fatalf("KeyURI with '+' = %s", got)
	}
	for _, bad := range [][2]string{{"", "a"}, {"a", ""}, {"a:b", "c"}, {"a", "b:c"}, {"a\n", "b"}} {
		if _, err := KeyURI(bad[0], bad[1], "JBSWY3DPEHPK3PXP"); !errors.Is(err, ErrInvalidLabel) {
			t.Errorf("KeyURI(%q, %q) = %v, want ErrInvalidLabel", bad[0], bad[1], err)
		}
	}
}

func TestNormalizeTOTPCode(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"123456", "123456", true},
		{" 123456\n", "123456", true},
		{"123 456", "123456", true},
		{"123-456", "123456", true},
		{"12345", "", false},
		{"1234567", "", false},
		{"12 3456", "", false},
		{"12345a", "", false},
		{"１２３４５６", "", false},
		{"", "", false},
	} {
		got, ok := normalizeTOTPCode(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("normalizeTOTPCode(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func FuzzNormalizeTOTPCode(f *testing.F) {
	for _, s := range []string{"123456", " 123 456 ", "123-456", "12345a", "", "１２３４５６"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := normalizeTOTPCode(s)
		if !ok {
			return
		}
		if len(got) != 6 || strings.Trim(got, "0123456789") != "" {
			t.Fatalf("normalizeTOTPCode(%q) = %q", s, got)
		}
		if again, ok := normalizeTOTPCode(got); !ok || again != got {
			t.Fatalf("not idempotent: %q", got)
		}
	})
}

// tool returns the path of an external cross-check binary. Missing binaries
// skip the test locally but fail it in CI, where .ci/run installs them.
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI: %v", name, err)
		}
		t.Skipf("%s not installed", name)
	}
	return p
}

// Codes for a freshly enrolled secret agree with oathtool (OATH Toolkit), an
// independent implementation, and the Service accepts oathtool's codes.
func TestCrossCheckOathtool(t *testing.T) {
	oathtool := tool(t, "oathtool")
	f := newFixture(t, func(c *Config) { c.MaxAttempts = 100 })
	e := f.enrolled(t, "u")
	for i, at := range []time.Time{
		f.clock.Now(),
		f.clock.Now().Add(47 * time.Hour),
		time.Unix(2000000000, 0),
		time.Unix(20000000000, 0),
	} {
		out, err := exec.Command(oathtool, "--totp", "--base32", "--now=@"+strconv.FormatInt(at.Unix(), 10), e.Secret).Output()
		if err != nil {
			t.Fatalf("oathtool: %v", err)
		}
		want := strings.TrimSpace(string(out))
		if got := codeAt(t, e.Secret, at, 0); got != want {
			t.Fatalf("at %d: our code %s, oathtool %s", at.Unix(), got, want)
		}
		if i < 2 {
			f.clock.Set(at)
			if _, err := f.svc.AuthenticateTOTP(bg, "u", e.DeviceID, want); err != nil {
				t.Fatalf("oathtool's code at %d refused: %v", at.Unix(), err)
			}
		}
	}
	// The RFC 6238 SHA1 vector through oathtool, to pin its flags.
	out, err := exec.Command(oathtool, "--totp", "--base32", "--digits=8", "--now=@59", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").Output()
	if err != nil || strings.TrimSpace(string(out)) != "94287082" {
		t.Fatalf("oathtool RFC vector = %q, %v", out, err)
	}
}

// zbarimg decodes the enrollment QR PNG back to exactly the otpauth URI.
func TestCrossCheckZbarimg(t *testing.T) {
	zbarimg := tool(t, "zbarimg")
	f := newFixture(t)
	for _, acct := range []string{"alice@example.com", "Zoë Ångström+test@example.com"} {
		e, err := f.svc.EnrollTOTP(bg, "u", acct)
		if err != nil {
			t.Fatal(err)
		}
		png, err := e.QRCodePNG(0)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
			t.Fatal("not a PNG")
		}
		path := filepath.Join(t.TempDir(), "qr.png")
		if err := os.WriteFile(path, png, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(zbarimg, "--quiet", "--raw", "-Sbinary", path).Output()
		if err != nil {
			t.Fatalf("zbarimg: %v", err)
		}
		if got := strings.TrimSuffix(string(out), "\n"); got != e.URI {
			t.Fatalf("zbarimg decoded %q\nwant %q", got, e.URI)
		}
	}
}

func TestQRCodePNGErrors(t *testing.T) {
	for _, c := range []struct {
		uri  string
		size int
	}{
		{"https://example.com", 256},
		{"otpauth://totp/a:b?secret=JBSWY3DPEHPK3PXP", -1},
		{"otpauth://totp/a:b?secret=JBSWY3DPEHPK3PXP", 5000},
		{"otpauth://totp/a:b?secret=JBSWY3DPEHPK3PXP", 10}, // smaller than the code
	} {
		if _, err := QRCodePNG(c.uri, c.size); !errors.Is(err, ErrQRCode) {
			t.Errorf("QRCodePNG(%q, %d) = %v, want ErrQRCode", c.uri, c.size, err)
		}
	}
}

// A URI QRCodePNG cannot parse holds a TOTP secret all the same: the error
// must not repeat it (url.Parse quotes the whole URL in its errors).
func TestQRCodePNGErrorHidesSecret(t *testing.T) {
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	for _, uri := range []string{
		"otpauth://to tp/Example:alice?secret=" + secret + "&issuer=Example",
		"otpauth://totp/Example:alice%zz?secret=" + secret,
		// Too long for a QR code: the encoder's error quotes its content.
		"otpauth://totp/Example:alice?secret=" + secret + "&issuer=" + strings.Repeat("x", 4000),
	} {
		_, err := QRCodePNG(uri, 0)
		if !errors.Is(err, ErrQRCode) {
			t.Errorf("QRCodePNG(%q) = %v, want ErrQRCode", uri, err)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error text carries the secret: %v", err)
		}
	}
}
