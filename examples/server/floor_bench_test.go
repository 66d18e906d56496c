package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/internal/random"
)

// The floor of an SMS sign-in: a bare net/http handler serving the same
// three requests as the reference server in development mode (create,
// /dev/messages, signin) with the same wire format and the same two ES256
// signatures, and nothing else: no store interface, limits, logging,
// hashing at rest, device or session records. It is what the issue's
// "0.70× of a bare handler" target is measured against.
//
//	go test -run '^$' -bench SMSSignInVsFloor16 -benchtime 2000x -count 3 ./examples/server

// floorServer is the bare handler's state: pending codes by verification
// id and the last code sent to each number.
type floorServer struct {
	key     *ecdsa.PrivateKey
	issuer  string
	mu      sync.Mutex
	pending map[string]floorPending
	sent    map[string]string // E.164 → code
}

type floorPending struct{ e164, national, code string }

func newFloorServer(b *testing.B, issuer string) *floorServer {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	return &floorServer{key: key, issuer: issuer, pending: map[string]floorPending{}, sent: map[string]string{}}
}

func (f *floorServer) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+apiPrefix+testEnvID+"/smsVerifications/create", f.create)
	mux.HandleFunc("POST "+apiPrefix+testEnvID+"/smsVerifications/signin", f.signIn)
	mux.HandleFunc("GET /dev/messages", f.messages)
	return mux
}

func (f *floorServer) create(w http.ResponseWriter, r *http.Request) {
	var d smsDestination
	if err := json.NewDecoder(r.Body).Decode(&d); err != nil || d.PhoneCountryCode == "" || d.PhoneNumber == "" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	id, err2 := random.UUID(nil)
	if err != nil || err2 != nil {
		http.Error(w, "rand", http.StatusInternalServerError)
		return
	}
	code := fmt.Sprintf("%06d", n.Int64())
	e164 := "+" + d.PhoneCountryCode + d.PhoneNumber
	f.mu.Lock()
	f.pending[id] = floorPending{e164, d.PhoneNumber, code}
	f.sent[e164] = code
	f.mu.Unlock()
	writeFloorJSON(w, smsCreateResponse{VerificationUUID: id, PhoneNumber: d.PhoneNumber, PhoneCountryCode: d.PhoneCountryCode, IsoCountryCode: d.IsoCountryCode})
}

func (f *floorServer) messages(w http.ResponseWriter, r *http.Request) {
	to := r.URL.Query().Get("to")
	f.mu.Lock()
	code, ok := f.sent[to]
	f.mu.Unlock()
	if !ok {
		writeFloorJSON(w, []devMessage{})
		return
	}
	writeFloorJSON(w, []devMessage{{Channel: "sms", To: to, Code: code, SentAt: time.Now().UTC().Format(time.RFC3339)}})
}

func (f *floorServer) signIn(w http.ResponseWriter, r *http.Request) {
	var body struct {
		VerificationUUID  string `json:"verificationUUID"`
		VerificationToken string `json:"verificationToken"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	p, ok := f.pending[body.VerificationUUID]
	if ok && subtle.ConstantTimeCompare([]byte(p.code), []byte(body.VerificationToken)) == 1 {
		delete(f.pending, body.VerificationUUID)
		delete(f.sent, p.e164)
	} else {
		ok = false
	}
	f.mu.Unlock()
	if !ok {
		http.Error(w, "wrong code", http.StatusUnprocessableEntity)
		return
	}
	userID, _ := random.UUID(nil)
	credID, _ := random.UUID(nil)
	sessionID, _ := random.UUID(nil)
	now := time.Now().UTC()
	u := authkit.User{
		ID: userID, ProjectEnvironmentID: testEnvID, SessionID: sessionID, PhoneNumber: p.e164,
		VerifiedCredentials: []authkit.VerifiedCredential{{
			ID: credID, Format: authkit.FormatPhoneNumber, PhoneNumber: p.national, PhoneCountryCode: "1", IsoCountryCode: "US",
		}},
	}
	exp := now.Add(time.Hour).Unix()
	full, err1 := f.sign("authkit-id+jwt", map[string]any{"iss": f.issuer, "sub": userID, "sid": sessionID, "iat": now.Unix(), "exp": exp, "environment_id": testEnvID, "verified_credentials": u.VerifiedCredentials})
	minified, err2 := f.sign("at+jwt", map[string]any{"iss": f.issuer, "sub": userID, "sid": sessionID, "iat": now.Unix(), "exp": exp, "environment_id": testEnvID})
	if err1 != nil || err2 != nil {
		http.Error(w, "sign", http.StatusInternalServerError)
		return
	}
	writeFloorJSON(w, verifyResponse{User: u, JWT: full, MinifiedJWT: minified, ExpiresAt: exp})
}

// sign is one ES256 JWS through golang-jwt's SigningMethod.
func (f *floorServer) sign(typ string, claims map[string]any) (string, error) {
	h, _ := json.Marshal(map[string]string{"alg": "ES256", "typ": typ})
	c, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	s := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	sig, err := jwt.SigningMethodES256.Sign(s, f.key)
	if err != nil {
		return "", err
	}
	return s + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

func writeFloorJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// BenchmarkSMSSignInVsFloor16: the reference server and the bare floor
// handler, each on its own loopback listener, driven by 16 clients in
// alternating slices of sign-ins so that both see the same machine load.
// Reports each side's sign-ins/s and authkit ÷ floor.
func BenchmarkSMSSignInVsFloor16(b *testing.B) {
	const clients, slice = 16, 64
	_, ts, base := benchServer(b)
	fts := httptest.NewUnstartedServer(nil)
	floor := newFloorServer(b, "http://"+fts.Listener.Addr().String()+apiPrefix+testEnvID)
	fts.Config.Handler = floor.handler()
	fts.Start()
	b.Cleanup(fts.Close)
	fbase := fts.URL + apiPrefix + testEnvID

	numbers := benchNumbers(b, 2*b.N+2*clients)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients * 2, MaxConnsPerHost: clients * 2}}
	var used atomic.Int64
	// run makes n sign-ins against one side with 16 clients and returns
	// the wall time.
	run := func(origin, base string, n int) time.Duration {
		var next atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for next.Add(1) <= int64(n) {
					if err := signInOverHTTP(client, origin, base, numbers[used.Add(1)-1]); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		return time.Since(start)
	}
	run(ts.URL, base, clients) // warm-up of both sides
	run(fts.URL, fbase, clients)
	var tAuthkit, tFloor time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += slice {
		n := min(slice, b.N-done)
		if done/slice%2 == 0 { // alternate which side goes first
			tAuthkit += run(ts.URL, base, n)
			tFloor += run(fts.URL, fbase, n)
		} else {
			tFloor += run(fts.URL, fbase, n)
			tAuthkit += run(ts.URL, base, n)
		}
	}
	b.StopTimer()
	ak, fl := float64(b.N)/tAuthkit.Seconds(), float64(b.N)/tFloor.Seconds()
	b.ReportMetric(ak, "authkit-signins/s")
	b.ReportMetric(fl, "floor-signins/s")
	b.ReportMetric(ak/fl, "authkit/floor")
}
