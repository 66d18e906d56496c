package main

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestSDKClients drives the server with Dynamic's published JavaScript
// clients (sdkclient/package.json pins them): the headless SDK
// @dynamic-labs-sdk/client and the generated API client
// @dynamic-labs/sdk-api-core, whose models every response is checked
// against. Two servers run on loopback, one in header mode and one in
// cookie mode; node --test runs sdkclient/test/*.test.mjs against them.
// Without node and npm, or with -short, the test skips locally; under
// CI=true it never skips (a missing node or npm fails it).
func TestSDKClients(t *testing.T) {
	if testing.Short() && os.Getenv("CI") != "true" {
		t.Skip("-short: the SDK conformance run takes about a minute (never skipped under CI=true)")
	}
	node, errNode := exec.LookPath("node")
	npm, errNpm := exec.LookPath("npm")
	if errNode != nil || errNpm != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true: node and npm are required (node: %v, npm: %v)", errNode, errNpm)
		}
		t.Skip("node or npm not installed")
	}
	dir, err := filepath.Abs("sdkclient")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@dynamic-labs-sdk", "client")); err != nil {
		// Exactly the committed lockfile's versions.
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci: %v\n%s", err, out)
		}
	}
	files, err := filepath.Glob(filepath.Join(dir, "test", "*.test.mjs"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files in %s/test: %v", dir, err)
	}

	const appOrigin = "http://127.0.0.1:9"
	const appURL = appOrigin + "/app" // never fetched: the tests read the redirect
	start := func(cookie bool) string {
		ts := httptest.NewUnstartedServer(nil)
		cfg := defaultConfig()
		cfg.Env = testEnvID
		cfg.IPLimit = ""
		cfg.CookieAuth = cookie
		cfg.RedirectURLs = []string{appURL}
		cfg.CORSOrigins = []string{appOrigin} // the SDK sends it as Origin outside browsers
		cfg.Issuer = "http://" + ts.Listener.Addr().String() + apiPrefix + testEnvID
		srv, err := newServer(t.Context(), cfg, serverOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ts.Config.Handler = srv.Handler()
		ts.Start()
		t.Cleanup(func() {
			ts.Close()
			srv.Close()
		})
		return ts.URL
	}
	header, cookie := start(false), start(true)

	args := append([]string{"--test", "--test-reporter=spec"}, files...)
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"AUTHKIT_SDK_ENV="+testEnvID,
		"AUTHKIT_SDK_BASE="+header,
		"AUTHKIT_SDK_COOKIE_BASE="+cookie,
		"AUTHKIT_SDK_APP_URL="+appURL,
		"NO_COLOR=1",
	)
	out, err := cmd.CombinedOutput()
	t.Logf("node --test:\n%s", out)
	if err != nil {
		t.Fatalf("node --test: %v", err)
	}
}
