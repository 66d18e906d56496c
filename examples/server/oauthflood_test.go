package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/authkit/authkit/oauth"
	"github.com/authkit/authkit/ratelimit"
)

// The flood of the issue: from one address, pairs of initAuth (a fresh
// state each) and the provider callback for that state, carrying the
// largest code allowed and a 56 KiB "user" field. Unbounded, 600 pairs
// kept ~72 KiB each for 70 minutes (92 MB of RSS; 40 MB of Redis).

const floodPairs = 600

// Per-state bound: the code (oauth.MaxCodeLen) plus the record's other
// strings (state ≤ 128, verifier, challenge, nonce, URLs: under 1 KiB),
// the map and queue entries, and allocator slack; the user field of a
// non-Apple provider is not kept at all.
const perStateBytes = oauth.MaxCodeLen + 4<<10

// perRejectedBytes is what a refused request may leave behind: nothing
// but noise (limiter entries are per address, not per request).
const perRejectedBytes = 512

// floodResult is what the flood did.
type floodResult struct {
	initAccepted, callbacksStored, refused int
}

// newFloodServer starts the real server with the default -ip-limit (the
// per-address buckets under test) on a loopback listener.
func newFloodServer(t *testing.T, stores *storeSet) (*httptest.Server, string) {
	t.Helper()
	cfg := defaultConfig()
	cfg.Env = testEnvID
	ts := httptest.NewUnstartedServer(nil)
	cfg.Issuer = "http://" + ts.Listener.Addr().String() + apiPrefix + testEnvID
	srv, err := newServer(context.Background(), cfg, serverOptions{Stores: stores})
	if err != nil {
		ts.Close()
		t.Fatal(err)
	}
	ts.Config.Handler = srv.Handler()
	ts.Start()
	t.Cleanup(func() { ts.Close(); srv.Close() })
	return ts, ts.URL + apiPrefix + testEnvID
}

// flood sends the pairs from one client.
func flood(t *testing.T, ts *httptest.Server, base string) floodResult {
	t.Helper()
	client := ts.Client()
	code := strings.Repeat("c", oauth.MaxCodeLen)
	user := `{"name":{"firstName":"` + strings.Repeat("x", 56<<10) + `"}}`
	var res floodResult
	for i := range floodPairs {
		state := fmt.Sprintf("flood-state-%012d", i)
		r, err := client.Post(base+"/providers/github/initAuth", "application/json", strings.NewReader(`{"state":"`+state+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		switch r.StatusCode {
		case http.StatusNoContent:
			res.initAccepted++
		case http.StatusTooManyRequests:
			res.refused++
		default:
			t.Fatalf("initAuth %d: %d", i, r.StatusCode)
		}
		form := url.Values{"state": {state}, "code": {code}, "user": {user}}
		r, err = client.Post(base+"/providers/github/redirect", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		switch r.StatusCode {
		case http.StatusOK:
			res.callbacksStored++
		case http.StatusTooManyRequests, http.StatusUnprocessableEntity:
			res.refused++
		default:
			t.Fatalf("callback %d: %d", i, r.StatusCode)
		}
	}
	return res
}

// maxLiveStates is how many states the default oauth-states rule lets one
// address create at once: its burst, plus what refills while the flood
// runs (one per emission interval, 10 s; the slack covers a slow run).
func maxLiveStates(t *testing.T) int {
	rules, err := ratelimit.ParseRules(defaultIPLimit)
	if err != nil {
		t.Fatal(err)
	}
	return rules[ipLimitOAuthStates].Limit + 6
}

func heapInUse() (alloc, inuse uint64) {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc, m.HeapInuse
}

// TestOAuthStateFloodMemory: the server's heap grows by at most the
// capped states' worth plus a little per refused request.
func TestOAuthStateFloodMemory(t *testing.T) {
	ts, base := newFloodServer(t, nil)
	// Warm up the connection, the handler and the limiter keys.
	if r, err := ts.Client().Get(base + "/.well-known/jwks"); err == nil {
		r.Body.Close()
	}
	alloc0, inuse0 := heapInUse()
	res := flood(t, ts, base)
	alloc1, inuse1 := heapInUse()
	t.Logf("%+v; HeapAlloc %+d B, HeapInuse %+d B", res, int64(alloc1)-int64(alloc0), int64(inuse1)-int64(inuse0))

	live := maxLiveStates(t)
	if res.initAccepted > live || res.callbacksStored > res.initAccepted {
		t.Fatalf("%d states started, %d callbacks stored; want at most %d", res.initAccepted, res.callbacksStored, live)
	}
	if res.refused < 2*floodPairs-2*live {
		t.Fatalf("only %d of %d requests refused", res.refused, 2*floodPairs)
	}
	bound := int64(res.callbacksStored*perStateBytes + (res.initAccepted-res.callbacksStored)*(perStateBytes-oauth.MaxCodeLen) + res.refused*perRejectedBytes)
	if d := int64(alloc1) - int64(alloc0); d > bound {
		t.Fatalf("HeapAlloc grew %d B over %d requests, bound %d B (%d states × %d B + %d refused × %d B)",
			d, 2*floodPairs, bound, res.initAccepted, perStateBytes, res.refused, perRejectedBytes)
	}
	// HeapInuse moves by whole spans: allow a few on top.
	if d := int64(inuse1) - int64(inuse0); d > bound+1<<20 {
		t.Fatalf("HeapInuse grew %d B, bound %d B", d, bound+1<<20)
	}
}

// TestOAuthStateFloodRedis: the same flood against -redis. What the
// server stored under its key prefix is bounded by the capped states, and
// so is Redis's used_memory (shared with other tests, so only a loose
// bound holds there: the unbounded flood added 40 MB).
func TestOAuthStateFloodRedis(t *testing.T) {
	u := backendURL(t, "AUTHKIT_TEST_REDIS")
	prefix := "e2e:" + randomName(t)
	stores, err := openRedis(context.Background(), u, testEnvID, prefix)
	if err != nil {
		t.Fatal(err)
	}
	opt, err := goredis.ParseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	rc := goredis.NewClient(opt)
	defer rc.Close()
	ctx := t.Context()
	usedMemory := func() int64 {
		info, err := rc.Info(ctx, "memory").Result()
		if err != nil {
			t.Fatal(err)
		}
		for line := range strings.SplitSeq(info, "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
		}
		t.Fatal("no used_memory in INFO memory")
		return 0
	}
	ts, base := newFloodServer(t, stores)
	before := usedMemory()
	res := flood(t, ts, base)
	after := usedMemory()

	var keys, stored int64
	iter := rc.Scan(ctx, 0, "{"+prefix+":*", 1000).Iterator()
	for iter.Next(ctx) {
		n, err := rc.MemoryUsage(ctx, iter.Val(), 0).Result() // SAMPLES 0: every field
		if err != nil {
			t.Fatal(err)
		}
		keys++
		stored += n
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v; %d keys, %d B under the prefix; used_memory %+d B", res, keys, stored, after-before)
	live := maxLiveStates(t)
	if res.initAccepted > live {
		t.Fatalf("%d states started, want at most %d", res.initAccepted, live)
	}
	bound := int64(res.initAccepted*perStateBytes + res.refused*perRejectedBytes)
	if stored > bound {
		t.Fatalf("%d B stored under the prefix, bound %d B", stored, bound)
	}
	if d := after - before; d > bound+4<<20 {
		t.Fatalf("Redis used_memory grew %d B, bound %d B + 4 MiB for other tests", d, bound)
	}
}

// Every public OAuth state route is in the oauth per-address bucket, and
// initAuth also in oauth-states.
func TestOAuthStateRoutesPerIPBuckets(t *testing.T) {
	for _, tc := range []struct {
		method, path string
		body         any
	}{
		{"POST", "providers/github/initAuth", map[string]any{"state": "bucket-state-000000001"}},
		{"GET", "providers/github/loginUrl?state=bucket-state-000000001", nil},
		{"GET", "providers/github/redirect?state=bucket-state-000000001&code=c", nil},
		{"POST", "providers/github/oauthResult", map[string]any{"state": "bucket-state-000000001"}},
	} {
		e := newTestEnv(t, nil, func(c *config) { c.IPLimit = "oauth=2/m" })
		for range 2 {
			if r := e.do(req{Method: tc.method, Path: tc.path, Body: tc.body}); r.Status == 429 {
				t.Fatalf("%s %s limited early", tc.method, tc.path)
			}
		}
		expectError(t, e.do(req{Method: tc.method, Path: tc.path, Body: tc.body}), 429, "rate_limited")
	}
	e := newTestEnv(t, nil, func(c *config) { c.IPLimit = "oauth-states=2/10m" })
	states := []string{oauthState(0), oauthState(1)}
	for _, st := range states {
		expectStatus(t, e.do(req{Method: "POST", Path: "providers/github/initAuth", Body: map[string]any{"state": st}}), 204)
	}
	expectError(t, e.do(req{Method: "POST", Path: "providers/github/initAuth", Body: map[string]any{"state": oauthState(2)}}), 429, "rate_limited")
	// Polling a started sign-in is not charged to oauth-states.
	expectStatus(t, e.do(req{Method: "POST", Path: "providers/github/oauthResult", Body: map[string]any{"state": states[0]}}), 200)
}
