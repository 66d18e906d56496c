package main

import (
	"bytes"
	"image/png"
	"strings"
	"testing"

	"github.com/authkit/authkit/mfa"
)

// The demo page's routes over plain HTTP: what is served, with which
// headers, and that none of it exists outside development mode. The page
// itself runs in demo_browser_test.go.

func TestDemoRoutes(t *testing.T) {
	e := newTestEnv(t, nil)

	for _, c := range []struct {
		path, ctype string
		contains    []string
	}{
		{"/demo/", "text/html; charset=utf-8", []string{`<meta name="authkit-env" content="` + testEnvID + `">`, `<script src="/demo/app.js" defer></script>`}},
		{"/demo/app.js", "text/javascript; charset=utf-8", []string{`"/api/v0/sdk/"`, "navigator.credentials.create"}},
		{"/demo/style.css", "text/css; charset=utf-8", []string{"main {"}},
	} {
		r := e.do(req{Method: "GET", Path: c.path})
		expectStatus(t, r, 200)
		if got := r.Header.Get("Content-Type"); got != c.ctype {
			t.Errorf("%s: Content-Type %q, want %q", c.path, got, c.ctype)
		}
		if got := r.Header.Get("Content-Security-Policy"); got != demoCSP {
			t.Errorf("%s: CSP %q", c.path, got)
		}
		for _, s := range c.contains {
			if !bytes.Contains(r.Body, []byte(s)) {
				t.Errorf("%s does not contain %q", c.path, s)
			}
		}
	}

	// The strict CSP holds only if the page has no inline script, style or
	// event handler: check the HTML for each.
	page := string(e.do(req{Method: "GET", Path: "/demo/"}).Body)
	for _, bad := range []string{"<script>", "<style", " style=", " onclick=", " onsubmit=", "javascript:"} {
		if strings.Contains(page, bad) {
			t.Errorf("the page contains %q, which the CSP blocks", bad)
		}
	}

	expectError(t, e.do(req{Method: "GET", Path: "/demo/missing.js"}), 404, "not_found")
	expectError(t, e.do(req{Method: "GET", Path: "/index.html"}), 404, "not_found")
}

func TestDemoQR(t *testing.T) {
	e := newTestEnv(t, nil)
	uri := "otpauth://totp/authkit:demo%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=authkit"

	r := e.do(req{Method: "POST", Path: "/demo/qr", Body: map[string]string{"uri": uri}})
	expectStatus(t, r, 200)
	if ct := r.Header.Get("Content-Type"); ct != "image/png" {
		t.Fatalf("Content-Type %q", ct)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("Cache-Control %q: the QR code holds a secret", cc)
	}
	img, err := png.Decode(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != demoQRSize || b.Dy() != demoQRSize {
		t.Fatalf("QR code %v, want %d px", b, demoQRSize)
	}
	want, err := mfa.QRCodePNG(uri, demoQRSize)
	if err != nil || !bytes.Equal(r.Body, want) {
		t.Fatalf("the route's PNG differs from mfa.QRCodePNG (err %v)", err)
	}

	for _, c := range []struct {
		name string
		body any
	}{
		{"no uri", map[string]string{}},
		{"not otpauth", map[string]string{"uri": "https://example.com/"}},
		{"otpauth without a secret", map[string]string{"uri": "otpauth://totp/x?issuer=y"}},
		{"too long for a QR code", map[string]string{"uri": "otpauth://totp/x?secret=" + strings.Repeat("A", 8000)}},
		{"not JSON", "uri=otpauth://totp/x"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(req{Method: "POST", Path: "/demo/qr", Body: c.body})
			expectError(t, r, 400, "validation_error")
			if strings.Contains(string(r.Body), "secret") && strings.Contains(string(r.Body), "AAAA") {
				t.Fatalf("error echoes the URI: %s", r.Body)
			}
		})
	}
	expectError(t, e.do(req{Method: "GET", Path: "/demo/qr"}), 404, "not_found")
}

// Without development mode the page and its QR route do not exist.
func TestDemoOnlyInDevMode(t *testing.T) {
	e := newTestEnv(t, nil, func(c *config) {
		c.Dev = false
		c.SMTPAddr, c.SMTPFrom = "127.0.0.1:1", "codes@example.com" // a sender that never connects
	})
	for _, p := range []string{"/demo/", "/demo/app.js", "/demo/style.css"} {
		expectError(t, e.do(req{Method: "GET", Path: p}), 404, "not_found")
	}
	expectError(t, e.do(req{Method: "POST", Path: "/demo/qr", Body: map[string]string{"uri": "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP"}}), 404, "not_found")
}

func TestDemoURL(t *testing.T) {
	for _, c := range []struct{ addr, want string }{
		{"127.0.0.1:8080", "http://localhost:8080/demo/"},
		{"[::1]:8080", "http://localhost:8080/demo/"},
		{"localhost:9000", "http://localhost:9000/demo/"},
		{"192.0.2.7:8080", "http://192.0.2.7:8080/demo/"},
		{"auth.example.com:443", "http://auth.example.com:443/demo/"},
	} {
		if got := demoURL(c.addr); got != c.want {
			t.Errorf("demoURL(%q) = %q, want %q", c.addr, got, c.want)
		}
	}
}
