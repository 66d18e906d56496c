package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/authkit/authkit/session"
)

func TestParseConfigDefaults(t *testing.T) {
	c, err := parseConfig(nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || !c.Dev || c.IPLimit != defaultIPLimit || c.CookieAuth || c.Issuer != "" || !isEnvironmentID(c.Env) {
		t.Fatalf("defaults %+v", c)
	}
	c2, _ := parseConfig(nil, nil, io.Discard)
	if c2.Env == c.Env {
		t.Fatal("the environment id is not random")
	}
}

func TestParseConfigFlagsAndEnv(t *testing.T) {
	env := map[string]string{
		"AUTHKIT_ADDR":         "127.0.0.1:9999",
		"AUTHKIT_CORS_ORIGIN":  "https://a.example https://b.example",
		"AUTHKIT_COOKIE_AUTH":  "true",
		"AUTHKIT_IP_LIMIT":     "create=1/s",
		"AUTHKIT_ENV":          "0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d",
		"AUTHKIT_REDIRECT_URL": "https://a.example/cb",
		"AUTHKIT_OIDC":         "name=acme,issuer=https://idp.example,client_id=c,client_secret=s",
	}
	getenv := func(k string) string { return env[k] }
	c, err := parseConfig([]string{"-addr", "127.0.0.1:7777", "-cors-origin", "https://c.example"}, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:7777" {
		t.Errorf("flag did not win over env: %s", c.Addr)
	}
	if !slices.Equal(c.CORSOrigins, []string{"https://c.example"}) {
		t.Errorf("cors %v", c.CORSOrigins)
	}
	if !c.CookieAuth || c.IPLimit != "create=1/s" || c.Env != env["AUTHKIT_ENV"] || !slices.Equal(c.RedirectURLs, []string{"https://a.example/cb"}) {
		t.Errorf("env not read: %+v", c)
	}
	if len(c.OIDC) != 1 || c.OIDC[0] != (oidcProviderConfig{"acme", "https://idp.example", "c", "s"}) {
		t.Errorf("oidc %+v", c.OIDC)
	}
	// Repeatable flags from the environment.
	c, err = parseConfig(nil, getenv, io.Discard)
	if err != nil || !slices.Equal(c.CORSOrigins, []string{"https://a.example", "https://b.example"}) {
		t.Errorf("cors from env %v %v", c.CORSOrigins, err)
	}
}

func TestParseConfigDev(t *testing.T) {
	tests := []struct {
		args []string
		dev  bool
	}{
		{nil, true},
		{[]string{"-dev=false", "-smtp-addr", "127.0.0.1:25", "-smtp-from", "a@b.c"}, false},
		{[]string{"-smtp-addr", "127.0.0.1:25", "-smtp-from", "a@b.c"}, false}, // a real sender turns dev off
		{[]string{"-dev", "-smtp-addr", "127.0.0.1:25", "-smtp-from", "a@b.c"}, true},
		{[]string{"-twilio-account-sid", "AC1", "-twilio-auth-token", "t", "-twilio-from", "+15005550006"}, false},
		{[]string{"-twilio-account-sid", "AC1"}, true}, // incomplete: not a sender
	}
	for _, tc := range tests {
		c, err := parseConfig(tc.args, nil, io.Discard)
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if c.Dev != tc.dev {
			t.Errorf("%v: dev %v, want %v", tc.args, c.Dev, tc.dev)
		}
	}
}

func TestParseConfigErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-env", "not-a-uuid"},
		{"-env", "0A1B2C3D-4E5F-4A6B-8C7D-8E9F0A1B2C3D"},
		{"-cors-origin", "*"},
		{"-cors-origin", "https://a.example/"},
		{"-redirect-url", "/relative"},
		{"-oidc", "issuer=https://idp.example,client_id=c"},
		{"-oidc", "name=a b,issuer=https://idp.example,client_id=c"},
		{"-oidc", "name=x,issuer=https://idp.example,client_id=c,colour=blue"},
		{"-oidc", "name=x,issuer=https://i,client_id=c", "-oidc", "name=x,issuer=https://j,client_id=d"},
		{"-log-level", "loud"},
		{"-dev=maybe"},
		{"extra-argument"},
		{"-no-such-flag"},
	} {
		if _, err := parseConfig(args, nil, io.Discard); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	if _, err := parseConfig(nil, func(k string) string {
		if k == "AUTHKIT_OIDC" {
			return "broken"
		}
		return ""
	}, io.Discard); err == nil {
		t.Error("bad AUTHKIT_OIDC accepted")
	}
}

func TestSecrets(t *testing.T) {
	for _, bad := range []string{"short", "zz", "0011"} {
		if _, err := parseSecret(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	hex64 := "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	a, err := parseSecret(hex64)
	if err != nil {
		t.Fatal(err)
	}
	b, err := parseSecret("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	if err != nil || string(a) != string(b) {
		t.Fatalf("hex and base64 of one secret differ: %v", err)
	}
	s := deriveSecrets(a)
	if string(s.verification) == string(s.mfaHash) || string(s.mfaHash) == string(s.mfaSeal[:]) || len(s.verification) != 32 {
		t.Fatal("derived keys not distinct")
	}
	if r1, _ := parseSecret(""); len(r1) != 32 {
		t.Fatal("random secret length")
	}
}

func TestPublicAddrAndLogLevel(t *testing.T) {
	for addr, want := range map[*net.TCPAddr]string{
		{IP: net.IPv4zero, Port: 80}:          "localhost:80",
		{IP: nil, Port: 81}:                   "localhost:81",
		{IP: net.IPv6loopback, Port: 82}:      "[::1]:82",
		{IP: net.IPv4(127, 0, 0, 1), Port: 8}: "127.0.0.1:8",
	} {
		if got := publicAddr(addr); got != want {
			t.Errorf("publicAddr(%v) = %q, want %q", addr, got, want)
		}
	}
	if _, err := parseLogLevel("debug"); err != nil {
		t.Fatal(err)
	}
	if _, err := parseLogLevel("verbose"); err == nil {
		t.Fatal("bad level accepted")
	}
}

// TestSigningKeyFile: -signing-key loads a PEM key of each algorithm,
// tokens are signed with it, and the JWKS publishes it.
func TestSigningKeyFile(t *testing.T) {
	for _, alg := range []session.Algorithm{session.EdDSA, session.RS256, session.ES256} {
		t.Run(string(alg), func(t *testing.T) {
			k, err := session.GenerateKey(alg)
			if err != nil {
				t.Fatal(err)
			}
			pem, err := k.MarshalPEM()
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(t.TempDir(), "key.pem")
			if err := os.WriteFile(file, pem, 0o600); err != nil {
				t.Fatal(err)
			}
			e := newTestEnv(t, nil, func(c *config) { c.SigningKeyFile = file })
			v := e.smsSignIn(0, nil)
			h := decodeJWT(t, v.MinifiedJWT).Header
			if h["alg"] != string(alg) || h["kid"] != k.KID() {
				t.Fatalf("header %v", h)
			}
			if r := e.do(req{Method: "GET", Path: ".well-known/jwks"}); !strings.Contains(string(r.Body), k.KID()) {
				t.Fatalf("jwks %s", r.Body)
			}
		})
	}
	for _, bad := range []string{filepath.Join(t.TempDir(), "missing.pem"), writeTemp(t, "not a pem")} {
		cfg := defaultConfig()
		cfg.Env, cfg.Issuer, cfg.SigningKeyFile = testEnvID, "http://127.0.0.1:1"+apiPrefix+testEnvID, bad
		if _, err := newServer(t.Context(), cfg, serverOptions{}); err == nil {
			t.Errorf("-signing-key %s accepted", bad)
		}
	}
	// A public key cannot sign.
	k, _ := session.GenerateKey(session.ES256)
	pub, _ := k.PublicPEM()
	cfg := defaultConfig()
	cfg.Env, cfg.Issuer, cfg.SigningKeyFile = testEnvID, "http://127.0.0.1:1"+apiPrefix+testEnvID, writeTemp(t, string(pub))
	if _, err := newServer(t.Context(), cfg, serverOptions{}); err == nil {
		t.Error("a public key was accepted as the signing key")
	}
}

func writeTemp(t *testing.T, content string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(f, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestRunGracefulShutdown runs the server in process: run prints the
// listening line with the real port, serves, and returns cleanly when its
// context ends (what SIGINT and SIGTERM do).
func TestRunGracefulShutdown(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-log-level", "error"}, func(string) string { return "" }, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	addr, _, ok := strings.Cut(strings.TrimPrefix(line, "authkit listening on http://"), " env=")
	if !ok || strings.HasSuffix(addr, ":0") {
		t.Fatalf("listening line %q", line)
	}
	res, err := http.Get("http://" + addr + "/dev/messages")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	go io.Copy(io.Discard, pr)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if _, err := http.Get("http://" + addr + "/dev/messages"); err == nil {
		t.Fatal("still serving after shutdown")
	}
	// A flag error is returned, not fatal.
	if err := run(t.Context(), []string{"-env", "bad"}, nil, io.Discard, io.Discard); err == nil {
		t.Fatal("bad -env accepted")
	}
}
