package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authkit/authkit/internal/clock"
)

// The end-to-end tests drive a whole server through HTTP. They take the
// store set as a parameter (storeFactory) so that the same tests run
// against the in-memory stores here and against PostgreSQL or Redis
// wherever those are wired into stores.go.

// storeFactory returns a fresh, empty store set for the environment env.
type storeFactory func(t *testing.T, env string) *storeSet

// memoryStores is the storeFactory of the in-memory stores.
func memoryStores(_ *testing.T, env string) *storeSet { return newMemoryStores(env) }

// testEnvID is the environment of every test server.
const testEnvID = "0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d"

// testEnv is one running server under test.
type testEnv struct {
	t     *testing.T
	srv   *server
	ts    *httptest.Server
	clock *clock.Fake
	logs  *syncBuffer
	// base is the URL of the environment's routes.
	base string
	// secrets of the TOTP devices enrolled by enrollTOTP, by device id.
	secrets map[string]string
	// verifiers are the PKCE verifiers of the provider URLs oauthBrowser
	// completed with its own challenge, by state (see clientPKCE).
	verifiers map[string]string
}

// newTestEnv starts a server on a loopback httptest listener with the
// given stores, a fake clock and the configuration changes in mods.
func newTestEnv(t *testing.T, stores storeFactory, mods ...func(*config)) *testEnv {
	t.Helper()
	if stores == nil {
		stores = memoryStores
	}
	cfg := defaultConfig()
	cfg.Env = testEnvID
	cfg.IPLimit = "" // the per-IP limits have their own test
	ts := httptest.NewUnstartedServer(nil)
	cfg.Issuer = "http://" + ts.Listener.Addr().String() + apiPrefix + testEnvID
	for _, m := range mods {
		m(&cfg)
	}
	// The fake clock starts at the real time, so that backends whose
	// expiry also follows the real clock (Redis TTLs) agree with it.
	fc := clock.NewFake(time.Now().UTC().Truncate(time.Second))
	logs := &syncBuffer{}
	srv, err := newServer(context.Background(), cfg, serverOptions{
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:    fc.Now,
		Stores: stores(t, cfg.Env),
	})
	if err != nil {
		ts.Close()
		t.Fatalf("newServer: %v", err)
	}
	ts.Config.Handler = srv.Handler()
	ts.Start()
	t.Cleanup(func() {
		ts.Close()
		srv.Close()
		// Whatever the test did, no token reached the log: every JWT
		// starts with the base64 of `{"`.
		if strings.Contains(logs.String(), "eyJ") {
			t.Error("a JWT reached the server log")
		}
	})
	return &testEnv{t: t, srv: srv, ts: ts, clock: fc, logs: logs, base: ts.URL + apiPrefix + testEnvID}
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// resp is a finished response with its body read.
type resp struct {
	Status int
	Header http.Header
	Body   []byte
	// Cookies set by the response.
	Cookies []*http.Cookie
}

// JSON decodes the body into v, failing the test on error.
func (r *resp) JSON(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.Body, err)
	}
}

// Map decodes the body as a JSON object.
func (r *resp) Map(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	r.JSON(t, &m)
	return m
}

// req describes one request.
type req struct {
	Method string
	Path   string // under base unless it starts with "/" or "http"
	Body   any    // marshalled to JSON unless a string or []byte
	Bearer string
	Header map[string]string
	Cookie *http.Cookie
}

// do sends a request and reads the response.
func (e *testEnv) do(r req) *resp {
	e.t.Helper()
	url := r.Path
	switch {
	case strings.HasPrefix(url, "http"):
	case strings.HasPrefix(url, "/"):
		url = e.ts.URL + url
	default:
		url = e.base + "/" + url
	}
	e.addVerifier(r)
	var body io.Reader
	switch b := r.Body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		body = bytes.NewReader(j)
	}
	hr, err := http.NewRequest(r.Method, url, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if r.Bearer != "" {
		hr.Header.Set("Authorization", "Bearer "+r.Bearer)
	}
	for k, v := range r.Header {
		hr.Header.Set(k, v)
	}
	if r.Cookie != nil {
		hr.AddCookie(r.Cookie)
	}
	client := e.ts.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	hres, err := client.Do(hr)
	if err != nil {
		e.t.Fatalf("%s %s: %v", r.Method, r.Path, err)
	}
	defer hres.Body.Close()
	b, err := io.ReadAll(hres.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return &resp{Status: hres.StatusCode, Header: hres.Header, Body: b, Cookies: hres.Cookies()}
}

// addVerifier plays the part of a client that built its provider URL with
// its own PKCE challenge (oauthBrowser, as Dynamic's SDK does): a signIn or
// verify for such a state carries the verifier, unless the test set one.
func (e *testEnv) addVerifier(r req) {
	body, ok := r.Body.(map[string]any)
	if !ok || !strings.HasPrefix(r.Path, "providers/") || !(strings.HasSuffix(r.Path, "/signIn") || strings.HasSuffix(r.Path, "/verify")) {
		return
	}
	st, _ := body["state"].(string)
	if _, set := body["codeVerifier"]; !set && e.verifiers[st] != "" {
		body["codeVerifier"] = e.verifiers[st]
	}
}

// expectError checks an error answer's status and code.
func expectError(t *testing.T, r *resp, status int, code string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d (%s)", r.Status, status, r.Body)
	}
	var b errorBody
	r.JSON(t, &b)
	if b.Code != code || b.Error == "" {
		t.Fatalf("error body %s, want code %q and a message", r.Body, code)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q", ct)
	}
}

// expectStatus checks a status.
func expectStatus(t *testing.T, r *resp, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d (%s)", r.Status, status, r.Body)
	}
}
