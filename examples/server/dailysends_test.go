package main

import (
	"strconv"
	"testing"
	"time"
)

// testDailySendCap: past the 10-minute limits, one destination receives at
// most 20 codes a day (at most 100 wrong guesses a day against it), and the
// cap lives in the store set's limiter, so every instance on one backend
// shares it. Each create below waits out the cooldowns on the fake clock;
// the daily limiter counts on the real clock, so all 20 fall within its day.
func testDailySendCap(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	national, e164 := testPhone(77)
	for sent := 0; sent < 20; {
		r := e.do(req{Method: "POST", Path: "smsVerifications/create", Body: smsBody(national)})
		if r.Status == 429 {
			ra, err := strconv.Atoi(r.Header.Get("Retry-After"))
			if err != nil || ra < 1 || ra > 600 {
				t.Fatalf("send %d: Retry-After %q within the 10-minute limits", sent+1, r.Header.Get("Retry-After"))
			}
			e.clock.Advance(time.Duration(ra) * time.Second)
			continue
		}
		expectStatus(t, r, 201)
		sent++
	}
	e.clock.Advance(time.Hour) // every 10-minute limit has cleared
	r := e.do(req{Method: "POST", Path: "smsVerifications/create", Body: smsBody(national)})
	expectError(t, r, 429, "rate_limited")
	if ra, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || ra <= 600 {
		t.Fatalf("21st send of the day: Retry-After %q, want the daily cap's (over 10 minutes)", r.Header.Get("Retry-After"))
	}
	if n := len(e.devCodes(e164)); n != 20 {
		t.Fatalf("%d codes sent, want 20", n)
	}
	// Another destination is unaffected.
	other, _ := testPhone(78)
	expectStatus(t, e.do(req{Method: "POST", Path: "smsVerifications/create", Body: smsBody(other)}), 201)
}
