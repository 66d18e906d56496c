package main

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// Refresh rotation and the session inventory over HTTP, on every backend.
func TestSessionRotation(t *testing.T)         { runSessionRotation(t, memoryStores) }
func TestSessionRotationPostgres(t *testing.T) { runSessionRotation(t, postgresStores) }
func TestSessionRotationRedis(t *testing.T)    { runSessionRotation(t, redisStores) }

func runSessionRotation(t *testing.T, newStores storeFactory) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, newStores storeFactory)
	}{
		{"StolenTokenVictimFirst", func(t *testing.T, f storeFactory) { testStolenToken(t, f, true) }},
		{"StolenTokenThiefFirst", func(t *testing.T, f storeFactory) { testStolenToken(t, f, false) }},
		{"TwoTabsWithinGrace", testTwoTabs},
		{"ParallelRefresh", testParallelRefresh},
		{"DeviceRegistrations", testDeviceRegistrations},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStores) })
	}
}

// genOf reads a token's gen claim (0 when absent).
func genOf(t *testing.T, tok string) uint64 {
	t.Helper()
	p, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Gen uint64 `json:"gen"`
	}
	if err := json.Unmarshal(p, &c); err != nil {
		t.Fatal(err)
	}
	return c.Gen
}

func (e *testEnv) refreshOK(tok string) verifyResponse {
	e.t.Helper()
	r := e.do(req{Method: "POST", Path: "refresh", Bearer: tok})
	expectStatus(e.t, r, 200)
	var v verifyResponse
	r.JSON(e.t, &v)
	return v
}

// testStolenToken: a token is copied. The first of victim and thief to
// refresh gets new tokens; when the other refreshes the copy after the
// grace window, the session is revoked and every token of it, old and new,
// gets 401.
func testStolenToken(t *testing.T, newStores storeFactory, victimFirst bool) {
	e := newTestEnv(t, newStores)
	v := e.smsSignIn(80, nil)
	stolen := v.MinifiedJWT
	e.clock.Advance(10 * time.Minute)
	first := e.refreshOK(v.MinifiedJWT) // the victim's (or the thief's) refresh
	if genOf(t, first.MinifiedJWT) != 1 {
		t.Fatalf("refreshed token generation %d, want 1", genOf(t, first.MinifiedJWT))
	}
	expectStatus(t, e.do(req{Method: "GET", Path: "users", Bearer: first.MinifiedJWT}), 200)

	e.clock.Advance(e.srv.sessions.Config().RefreshGrace + time.Second)
	second := stolen
	if !victimFirst {
		second = v.JWT // the victim still holds its original pair
	}
	expectError(t, e.do(req{Method: "POST", Path: "refresh", Bearer: second}), 401, "unauthorized")
	for _, tok := range []string{first.MinifiedJWT, first.JWT, v.MinifiedJWT, v.JWT} {
		for _, rt := range []struct{ method, path string }{{"GET", "users"}, {"GET", "session"}, {"POST", "refresh"}} {
			expectError(t, e.do(req{Method: rt.method, Path: rt.path, Bearer: tok}), 401, "unauthorized")
		}
	}
	// The user signs in again and gets a working session.
	again := e.smsSignIn(80, nil)
	expectStatus(t, e.do(req{Method: "GET", Path: "users", Bearer: again.MinifiedJWT}), 200)
}

// testTwoTabs: two tabs refresh the same token within the grace window:
// no alarm, both get working tokens of the one new generation.
func testTwoTabs(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	v := e.smsSignIn(81, nil)
	e.clock.Advance(time.Minute)
	a := e.refreshOK(v.MinifiedJWT)
	e.clock.Advance(e.srv.sessions.Config().RefreshGrace - time.Second)
	b := e.refreshOK(v.JWT)
	if ga, gb := genOf(t, a.MinifiedJWT), genOf(t, b.MinifiedJWT); ga != 1 || gb != 1 {
		t.Fatalf("generations %d and %d, want both 1", ga, gb)
	}
	e.clock.Advance(time.Hour)
	for _, tok := range []string{a.MinifiedJWT, b.MinifiedJWT} {
		expectStatus(t, e.do(req{Method: "GET", Path: "users", Bearer: tok}), 200)
	}
	expectError(t, e.do(req{Method: "GET", Path: "users", Bearer: v.MinifiedJWT}), 401, "unauthorized")
	c := e.refreshOK(b.MinifiedJWT)
	if genOf(t, c.MinifiedJWT) != 2 {
		t.Fatalf("next refresh: generation %d, want 2", genOf(t, c.MinifiedJWT))
	}
}

// testParallelRefresh: N simultaneous refreshes of one token advance the
// generation once: every answer carries generation 1 and the session
// stays live.
func testParallelRefresh(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	v := e.smsSignIn(82, nil)
	const n = 16
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		toks  = make([]string, n)
		codes = make([]int, n)
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			hr, err := http.NewRequest("POST", e.base+"/refresh", nil)
			if err != nil {
				return
			}
			hr.Header.Set("Authorization", "Bearer "+v.MinifiedJWT)
			res, err := e.ts.Client().Do(hr)
			if err != nil {
				return
			}
			defer res.Body.Close()
			codes[i] = res.StatusCode
			var body verifyResponse
			if json.NewDecoder(res.Body).Decode(&body) == nil {
				toks[i] = body.MinifiedJWT
			}
		}()
	}
	close(start)
	wg.Wait()
	for i := range n {
		if codes[i] != 200 {
			t.Fatalf("refresh %d: status %d", i, codes[i])
		}
		if g := genOf(t, toks[i]); g != 1 {
			t.Fatalf("refresh %d: generation %d, want 1", i, g)
		}
	}
	e.clock.Advance(time.Minute)
	expectStatus(t, e.do(req{Method: "GET", Path: "users", Bearer: toks[n-1]}), 200)
}

// testDeviceRegistrations: the session inventory as Dynamic's
// deviceRegistrations routes.
func testDeviceRegistrations(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	a := e.smsSignIn(83, nil)
	e.clock.Advance(time.Minute)
	b := e.smsSignIn(83, nil)
	e.clock.Advance(time.Minute)
	c := e.smsSignIn(83, nil)
	stranger := e.smsSignIn(84, nil)

	type list struct {
		Count               int `json:"count"`
		DeviceRegistrations []struct {
			ID              string    `json:"id"`
			IsCurrentDevice bool      `json:"isCurrentDevice"`
			UserAgent       *string   `json:"userAgent"`
			CreatedAt       time.Time `json:"createdAt"`
			IPPrefix        string    `json:"ipPrefix"`
		} `json:"deviceRegistrations"`
	}
	get := func(tok string) list {
		t.Helper()
		r := e.do(req{Method: "GET", Path: "deviceRegistrations", Bearer: tok})
		expectStatus(t, r, 200)
		if strings.Contains(string(r.Body), "127.0.0.1") {
			t.Fatalf("full client address in the inventory: %s", r.Body)
		}
		var l list
		r.JSON(t, &l)
		return l
	}
	l := get(a.MinifiedJWT)
	if l.Count != 3 || len(l.DeviceRegistrations) != 3 {
		t.Fatalf("inventory: %+v", l)
	}
	current := 0
	for _, d := range l.DeviceRegistrations {
		if d.IsCurrentDevice {
			current++
			if d.ID != a.User.SessionID {
				t.Fatalf("current device %s, want %s", d.ID, a.User.SessionID)
			}
		}
		if d.UserAgent == nil || *d.UserAgent == "" || d.IPPrefix != "127.0.0.0/24" || d.CreatedAt.IsZero() {
			t.Fatalf("entry %+v: want user agent, 127.0.0.0/24 and createdAt", d)
		}
	}
	if current != 1 {
		t.Fatalf("%d current devices, want 1", current)
	}
	// Another user's session is not found, and stays live.
	expectError(t, e.do(req{Method: "DELETE", Path: "deviceRegistrations/" + stranger.User.SessionID, Bearer: a.MinifiedJWT}), 404, "not_found")
	expectStatus(t, e.do(req{Method: "GET", Path: "users", Bearer: stranger.MinifiedJWT}), 200)
	// Revoke one other device.
	r := e.do(req{Method: "DELETE", Path: "deviceRegistrations/" + b.User.SessionID, Bearer: a.MinifiedJWT})
	expectStatus(t, r, 200)
	if r.Map(t)["currentDeviceRevoked"] != false {
		t.Fatalf("revoke other device: %s", r.Body)
	}
	expectError(t, e.do(req{Method: "GET", Path: "users", Bearer: b.MinifiedJWT}), 401, "unauthorized")
	// Revoke every other device: c goes, a stays.
	r = e.do(req{Method: "DELETE", Path: "deviceRegistrations", Bearer: a.MinifiedJWT})
	expectStatus(t, r, 200)
	if r.Map(t)["currentDeviceRevoked"] != false {
		t.Fatalf("revoke others: %s", r.Body)
	}
	expectError(t, e.do(req{Method: "GET", Path: "users", Bearer: c.MinifiedJWT}), 401, "unauthorized")
	if l := get(a.MinifiedJWT); l.Count != 1 || !l.DeviceRegistrations[0].IsCurrentDevice {
		t.Fatalf("after revoking the others: %+v", l)
	}
	expectStatus(t, e.do(req{Method: "GET", Path: "users", Bearer: stranger.MinifiedJWT}), 200)
	// Revoke the current device: the client logs out.
	r = e.do(req{Method: "DELETE", Path: "deviceRegistrations/" + a.User.SessionID, Bearer: a.MinifiedJWT})
	expectStatus(t, r, 200)
	if r.Map(t)["currentDeviceRevoked"] != true {
		t.Fatalf("revoke current device: %s", r.Body)
	}
	expectError(t, e.do(req{Method: "GET", Path: "users", Bearer: a.MinifiedJWT}), 401, "unauthorized")
}
