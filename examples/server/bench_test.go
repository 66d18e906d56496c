package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/phone"
	"github.com/authkit/authkit/session"
)

// Benchmarks of a whole SMS sign-in (create → read the code from
// /dev/messages → signin): over loopback HTTP with 16 concurrent clients,
// in process without HTTP, and the raw floor of the two ES256 signatures
// every sign-in makes.
//
//	go test -run '^$' -bench . -benchtime 2000x ./examples/server

// benchServer starts a development server with real time on loopback.
func benchServer(b *testing.B) (*server, *httptest.Server, string) {
	return benchServerWith(b, nil)
}

// benchServerWith is benchServer on the given stores (nil: memory).
func benchServerWith(b *testing.B, stores *storeSet) (*server, *httptest.Server, string) {
	b.Helper()
	cfg := defaultConfig()
	cfg.Env = testEnvID
	cfg.IPLimit = "" // one client IP makes every request
	ts := httptest.NewUnstartedServer(nil)
	cfg.Issuer = "http://" + ts.Listener.Addr().String() + apiPrefix + testEnvID
	srv, err := newServer(context.Background(), cfg, serverOptions{Stores: stores})
	if err != nil {
		b.Fatal(err)
	}
	ts.Config.Handler = srv.Handler()
	ts.Start()
	b.Cleanup(func() { ts.Close(); srv.Close() })
	return srv, ts, ts.URL + apiPrefix + testEnvID
}

// benchNumbers returns n distinct valid US numbers (national form), one
// per sign-in, so that no per-destination send limit is ever hit.
func benchNumbers(b *testing.B, n int) []string {
	out := make([]string, 0, n)
	for i := int64(0); len(out) < n; i++ {
		if nat, ok := benchNumber(i); ok {
			out = append(out, nat)
		}
		if i > 8_000_000 {
			b.Fatal("not enough numbers")
		}
	}
	return out
}

// benchNumber is the i-th candidate US national number (917 and seven
// digits) and whether it is valid.
func benchNumber(i int64) (string, bool) {
	nat := fmt.Sprintf("917%03d%04d", 200+(i/10000)%800, i%10000)
	_, err := phone.Parse("1", nat, "US")
	return nat, err == nil
}

// signInOverHTTP runs one SMS sign-in with client against base.
func signInOverHTTP(client *http.Client, origin, base, national string) error {
	post := func(path string, body any, v any) error {
		j, _ := json.Marshal(body)
		res, err := client.Post(base+path, "application/json", bytes.NewReader(j))
		if err != nil {
			return err
		}
		defer res.Body.Close()
		if res.StatusCode/100 != 2 {
			b, _ := io.ReadAll(res.Body)
			return fmt.Errorf("%s: %d %s", path, res.StatusCode, b)
		}
		return json.NewDecoder(res.Body).Decode(v)
	}
	var created smsCreateResponse
	if err := post("/smsVerifications/create", smsBody(national), &created); err != nil {
		return err
	}
	res, err := client.Get(origin + "/dev/messages?to=" + url.QueryEscape("+1"+national))
	if err != nil {
		return err
	}
	var msgs []devMessage
	err = json.NewDecoder(res.Body).Decode(&msgs)
	res.Body.Close()
	if err != nil || len(msgs) == 0 {
		return fmt.Errorf("dev messages: %v", err)
	}
	var v verifyResponse
	if err := post("/smsVerifications/signin", map[string]any{
		"verificationUUID": created.VerificationUUID, "verificationToken": msgs[len(msgs)-1].Code,
	}, &v); err != nil {
		return err
	}
	if v.MinifiedJWT == "" {
		return fmt.Errorf("no token")
	}
	return nil
}

// BenchmarkSMSSignInLoopback16: b.N sign-ins by 16 concurrent clients
// over loopback HTTP; reports sign-ins per second and the p50/p99 latency
// of one whole sign-in (three requests).
func BenchmarkSMSSignInLoopback16(b *testing.B) {
	_, ts, base := benchServer(b)
	benchSignIns(b, ts.URL, base, 16)
}

// BenchmarkSignInStores: the loopback sign-in on each backend at 1, 4 and
// 16 clients. The PostgreSQL and Redis legs need AUTHKIT_TEST_POSTGRES and
// AUTHKIT_TEST_REDIS (each run in a fresh schema or key prefix) and are
// skipped without them.
//
//	go test -run '^$' -bench SignInStores -benchtime 400x -count 3 ./examples/server
func BenchmarkSignInStores(b *testing.B) {
	backends := []struct {
		name string
		open func(b *testing.B) *storeSet // nil: memory
	}{
		{"memory", nil},
		{"postgres", func(b *testing.B) *storeSet { return openTestPostgres(b, testEnvID) }},
		{"redis", func(b *testing.B) *storeSet { return openTestRedis(b, testEnvID) }},
	}
	for _, be := range backends {
		for _, clients := range []int{1, 4, 16} {
			b.Run(fmt.Sprintf("store=%s/clients=%d", be.name, clients), func(b *testing.B) {
				var stores *storeSet
				if be.open != nil {
					stores = be.open(b)
				}
				_, ts, base := benchServerWith(b, stores)
				benchSignIns(b, ts.URL, base, clients)
			})
		}
	}
}

// benchSignIns makes b.N sign-ins against the server at origin with the
// given number of concurrent clients, and reports sign-ins per second and
// the p50/p99 latency of one sign-in.
func benchSignIns(b *testing.B, origin, base string, clients int) {
	numbers := benchNumbers(b, b.N+clients)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients * 2, MaxConnsPerHost: clients * 2}}
	defer client.CloseIdleConnections()
	// Warm up: libphonenumber's first validation, connections, pools.
	for i := range clients {
		if err := signInOverHTTP(client, origin, base, numbers[b.N+i]); err != nil {
			b.Fatal(err)
		}
	}
	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				t0 := time.Now()
				if err := signInOverHTTP(client, origin, base, numbers[i]); err != nil {
					b.Error(err)
					return
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "signins/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkSMSSignInInProcess: one sign-in at a time through the handler,
// without sockets: the server's own cost. The client side is kept lean
// (request bodies appended by hand, one reused response writer, answers
// decoded into only the fields the next step needs) so that B/op and
// allocs/op are mostly the server's; server-allocs/op counts only what
// the handler allocates (runtime.MemStats around each ServeHTTP).
func BenchmarkSMSSignInInProcess(b *testing.B) {
	srv, _, _ := benchServer(b)
	c := newInProcessClient(srv.Handler())
	numbers := benchNumbers(b, b.N+1)
	if err := c.signIn(numbers[b.N]); err != nil { // warm-up
		b.Fatal(err)
	}
	c.counting = true
	c.serverAllocs = 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if err := c.signIn(numbers[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(c.serverAllocs)/float64(b.N), "server-allocs/op")
}

// inProcessClient drives the handler directly with hand-built requests
// and one reused response writer.
type inProcessClient struct {
	h            http.Handler
	w            benchWriter
	body         []byte
	counting     bool   // measure the handler's allocations
	serverAllocs uint64 // mallocs inside ServeHTTP while counting
}

func newInProcessClient(h http.Handler) *inProcessClient {
	return &inProcessClient{h: h, w: benchWriter{header: http.Header{}}} // requests without a context: Background
}

// benchWriter is a minimal reusable http.ResponseWriter.
type benchWriter struct {
	header http.Header
	code   int
	buf    bytes.Buffer
}

func (w *benchWriter) Header() http.Header { return w.header }
func (w *benchWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}
func (w *benchWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.buf.Write(p)
}

var benchJSONHeader = http.Header{"Content-Type": {"application/json"}}

// do serves one request and returns the answer's body (valid until the
// next call).
func (c *inProcessClient) do(method, target string, body []byte) ([]byte, error) {
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return nil, err
	}
	r := &http.Request{
		Method: method, URL: u, RequestURI: target, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{}, Host: "example.com", RemoteAddr: "192.0.2.1:1234",
	}
	if body != nil {
		r.Header = benchJSONHeader
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
	} else {
		r.Body = http.NoBody
	}
	clear(c.w.header)
	c.w.code = 0
	c.w.buf.Reset()
	var before, after runtime.MemStats
	if c.counting {
		runtime.ReadMemStats(&before)
	}
	c.h.ServeHTTP(&c.w, r)
	if c.counting {
		runtime.ReadMemStats(&after)
		c.serverAllocs += after.Mallocs - before.Mallocs
	}
	if c.w.code/100 != 2 {
		return nil, fmt.Errorf("%s %s: %d %s", method, target, c.w.code, c.w.buf.Bytes())
	}
	return c.w.buf.Bytes(), nil
}

// signIn runs create → /dev/messages → signin for one US number.
func (c *inProcessClient) signIn(national string) error {
	c.body = append(append(append(c.body[:0], `{"phoneCountryCode":"1","phoneNumber":"`...), national...), `","isoCountryCode":"US"}`...)
	out, err := c.do("POST", apiPrefix+testEnvID+"/smsVerifications/create", c.body)
	if err != nil {
		return err
	}
	var created struct {
		VerificationUUID string `json:"verificationUUID"`
	}
	if err := json.Unmarshal(out, &created); err != nil {
		return err
	}
	if out, err = c.do("GET", "/dev/messages?to=%2B1"+national, nil); err != nil {
		return err
	}
	var msgs []struct {
		Code string `json:"code"`
	}
	if err := json.Unmarshal(out, &msgs); err != nil || len(msgs) == 0 {
		return fmt.Errorf("dev messages: %d, %v", len(msgs), err)
	}
	c.body = append(append(append(append(append(c.body[:0], `{"verificationUUID":"`...), created.VerificationUUID...),
		`","verificationToken":"`...), msgs[len(msgs)-1].Code...), `"}`...)
	if out, err = c.do("POST", apiPrefix+testEnvID+"/smsVerifications/signin", c.body); err != nil {
		return err
	}
	var v struct {
		MinifiedJWT string `json:"minifiedJwt"`
	}
	if err := json.Unmarshal(out, &v); err != nil || v.MinifiedJWT == "" {
		return fmt.Errorf("signin: no token (%v)", err)
	}
	return nil
}

// BenchmarkRawFloorTwoES256Mints: the tokens of one sign-in (full and
// minified JWT, one ES256 signature each) minted by the session package
// alone, without a store: the cryptographic floor of a sign-in.
func BenchmarkRawFloorTwoES256Mints(b *testing.B) {
	key, err := session.GenerateKey(session.ES256)
	if err != nil {
		b.Fatal(err)
	}
	ks, _ := session.NewKeySet(key)
	m, err := session.New(session.Config{Keys: ks, Issuer: "http://127.0.0.1" + apiPrefix + testEnvID, Stateless: true})
	if err != nil {
		b.Fatal(err)
	}
	u := authkit.User{ID: "824fee81-5c6c-486f-8110-1dbd3a91e0a0", ProjectEnvironmentID: testEnvID, VerifiedCredentials: []authkit.VerifiedCredential{{
		ID: "df06cbf9-26c2-4a82-9ac1-0b3743bceeb8", Format: authkit.FormatPhoneNumber, PhoneNumber: "9172113333", PhoneCountryCode: "1", IsoCountryCode: "US",
	}}}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := m.Mint(ctx, u, session.MintOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLiveHeapPerUser: the live heap that b.N first sign-ins leave
// behind in the memory stores (user, credential, session, verification
// record, send limits, dev outbox), after a GC; reports bytes per user.
func BenchmarkLiveHeapPerUser(b *testing.B) {
	srv, _, _ := benchServer(b)
	h := srv.Handler()
	numbers := benchNumbers(b, b.N+1)
	call := func(method, path string, body any, v any) {
		var rd io.Reader
		if body != nil {
			j, _ := json.Marshal(body)
			rd = bytes.NewReader(j)
		}
		r := httptest.NewRequest(method, path, rd)
		if body != nil {
			r.Header.Set("Content-Type", "application/json")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code/100 != 2 {
			b.Fatalf("%s %s: %d %s", method, path, w.Code, w.Body)
		}
		if err := json.Unmarshal(w.Body.Bytes(), v); err != nil {
			b.Fatal(err)
		}
	}
	signIn := func(national string) {
		var created smsCreateResponse
		call("POST", apiPrefix+testEnvID+"/smsVerifications/create", smsBody(national), &created)
		var msgs []devMessage
		call("GET", "/dev/messages?to="+url.QueryEscape("+1"+national), nil, &msgs)
		var v verifyResponse
		call("POST", apiPrefix+testEnvID+"/smsVerifications/signin", map[string]any{
			"verificationUUID": created.VerificationUUID, "verificationToken": msgs[len(msgs)-1].Code,
		}, &v)
	}
	signIn(numbers[b.N]) // warm-up: lazily built tables
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for i := range b.N {
		signIn(numbers[i])
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/float64(b.N), "live-B/user")
	runtime.KeepAlive(srv)
}
