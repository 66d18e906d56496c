package main

import (
	"maps"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestEndToEnd runs every end-to-end test against the in-memory stores.
// A test for another backend calls runEndToEnd with its own storeFactory.
func TestEndToEnd(t *testing.T) { runEndToEnd(t, memoryStores) }

// runEndToEnd is the end-to-end suite: each subtest starts its own server
// on fresh stores from newStores and drives it through HTTP only.
func runEndToEnd(t *testing.T, newStores storeFactory) {
	tests := []struct {
		name string
		fn   func(t *testing.T, newStores storeFactory)
	}{
		{"SMSSignIn", testSMSSignIn},
		{"EmailSignIn", testEmailSignIn},
		{"SMSCodeErrors", testSMSCodeErrors},
		{"EmailCodeErrors", testEmailCodeErrors},
		{"PhoneValidation", testPhoneValidation},
		{"SendLimitsAndRetry", testSendLimitsAndRetry},
		{"DailySendCap", testDailySendCap},
		{"CreateDoesNotRevealUsers", testCreateDoesNotRevealUsers},
		{"ParallelSameCode", testParallelSameCode},
		{"VerifyLinksCredential", testVerifyLinksCredential},
		{"Authentication", testAuthentication},
		{"RefreshRevokeSession", testRefreshRevokeSession},
		{"ElevatedToken", testElevatedToken},
		{"Audience", testAudience},
		{"JWKS", testJWKS},
		{"SessionPublicKey", testSessionPublicKey},
		{"Users", testUsers},
		{"MFA", testMFA},
		{"MFALimitsAndErrors", testMFALimitsAndErrors},
		{"RecoveryCodes", testRecoveryCodes},
		{"CookieMode", testCookieMode},
		{"DevModeOff", testDevModeOff},
		{"OAuth", testOAuth},
		{"OAuthGenericOIDC", testOAuthGenericOIDC},
		{"RouteGates", testRouteGates},
		{"CookieAuthEveryRoute", testCookieAuthEveryRoute},
		{"CookieModeMFAAndOAuth", testCookieModeMFAAndOAuth},
		{"AttemptsAcrossResends", testAttemptsAcrossResends},
		{"RetryDoesNotRevealUsers", testRetryDoesNotRevealUsers},
		{"MFAConfirmNewest", testMFAConfirmNewest},
		{"MFADeleteRules", testMFADeleteRules},
		{"OAuthConformance", testOAuthConformance},
		{"PerIPLimits", testPerIPLimits},
		{"DevMessages", testDevMessages},
		{"CrossChannel", testCrossChannel},
		{"DevFakeProvider", testDevFakeProvider},
		{"DeleteUser", testDeleteUser},
		{"VerifyUnlink", testVerifyUnlink},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStores) })
	}
}

func testSMSSignIn(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	national, e164 := testPhone(1)
	r := e.do(req{Method: "POST", Path: "smsVerifications/create", Body: smsBody(national)})
	expectStatus(t, r, 201)
	var created smsCreateResponse
	r.JSON(t, &created)
	if created.PhoneNumber != national || created.PhoneCountryCode != "1" || created.IsoCountryCode != "US" || len(created.VerificationUUID) != 36 {
		t.Fatalf("create response %s", r.Body)
	}
	code := e.lastCode(e164)
	if len(code) != 6 {
		t.Fatalf("code %q", code)
	}
	if got := e.do(req{Method: "GET", Path: "/dev/messages?to=" + e164[1:]}); got.Status != 200 {
		t.Fatal("dev messages")
	}
	r = e.do(req{Method: "POST", Path: "smsVerifications/signin", Body: map[string]any{
		"verificationUUID": created.VerificationUUID, "verificationToken": code,
	}})
	expectStatus(t, r, 200)
	var v verifyResponse
	r.JSON(t, &v)
	if v.JWT == "" || v.MinifiedJWT == "" || v.User.ID == "" || v.User.NewUser == nil || !*v.User.NewUser {
		t.Fatalf("signin response %s", r.Body)
	}
	if len(v.User.VerifiedCredentials) != 1 || v.User.VerifiedCredentials[0].PhoneNumber != national ||
		v.User.VerifiedCredentials[0].Format != "phoneNumber" || v.User.VerifiedCredentials[0].ID == "" {
		t.Fatalf("credentials %+v", v.User.VerifiedCredentials)
	}
	full, mini := decodeJWT(t, v.JWT), decodeJWT(t, v.MinifiedJWT)
	if full.Exp != v.ExpiresAt || mini.Exp != v.ExpiresAt {
		t.Fatalf("expiresAt %d, exp %d/%d", v.ExpiresAt, full.Exp, mini.Exp)
	}
	if full.Iss != e.srv.cfg.Issuer || full.Aud != e.srv.cfg.Issuer || mini.Aud != e.srv.cfg.Issuer {
		t.Fatalf("iss %q aud %v/%v", full.Iss, full.Aud, mini.Aud)
	}
	if !hasScope(mini.Scope, "user:basic") || full.Sid != mini.Sid || full.Sid == "" || v.User.SessionID != full.Sid {
		t.Fatalf("scope %q sid %q/%q", mini.Scope, full.Sid, mini.Sid)
	}
	if mini.Exp-mini.Iat != 7200 {
		t.Fatalf("lifetime %d", mini.Exp-mini.Iat)
	}
	// Both tokens authenticate.
	for _, tok := range []string{v.MinifiedJWT, v.JWT} {
		r = e.do(req{Method: "GET", Path: "users", Bearer: tok})
		expectStatus(t, r, 200)
		m := r.Map(t)
		if m["id"] != v.User.ID {
			t.Fatalf("GET users %s", r.Body)
		}
	}
	// A second sign-in finds the same user.
	e.clock.Advance(time.Minute)
	v2 := e.smsSignIn(1, nil)
	if v2.User.ID != v.User.ID || v2.User.NewUser == nil || *v2.User.NewUser {
		t.Fatalf("second sign-in: user %s new %v", v2.User.ID, v2.User.NewUser)
	}
	if decodeJWT(t, v2.MinifiedJWT).Sid == full.Sid {
		t.Fatal("second sign-in reused the session")
	}
	// The request log holds no code and no token.
	logs := e.logs.String()
	for _, secret := range []string{v.JWT, v.MinifiedJWT} {
		if containsAny(logs, secret) {
			t.Fatal("a token reached the log")
		}
	}
	for _, line := range splitLines(logs) {
		// A duration such as dur=22.080032ms may contain the code's six
		// digits by chance: look only at the other fields.
		line = durField.ReplaceAllString(line, "")
		if containsAny(line, "msg=request") && containsAny(line, code) {
			t.Fatalf("a code reached a request log line: %s", line)
		}
	}
}

func testEmailSignIn(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	r := e.do(req{Method: "POST", Path: "emailVerifications/create", Body: map[string]any{"email": "Jane@Example.com"}})
	expectStatus(t, r, 201)
	var created emailCreateResponse
	r.JSON(t, &created)
	if created.Email != "jane@example.com" || len(created.VerificationUUID) != 36 {
		t.Fatalf("create %s", r.Body)
	}
	code := e.lastCode("Jane@example.com")
	// A JSON number is accepted as the code too, when it has 6 digits.
	body := `{"verificationUUID":"` + created.VerificationUUID + `","verificationToken":` + code + `}`
	if code[0] == '0' {
		body = `{"verificationUUID":"` + created.VerificationUUID + `","verificationToken":"` + code + `"}`
	}
	r = e.do(req{Method: "POST", Path: "emailVerifications/signin", Body: body})
	expectStatus(t, r, 200)
	var v verifyResponse
	r.JSON(t, &v)
	if v.User.Email != "jane@example.com" || len(v.User.VerifiedCredentials) != 1 || v.User.VerifiedCredentials[0].Format != "email" {
		t.Fatalf("signin %s", r.Body)
	}
	// Same address, other case: same user.
	e.clock.Advance(time.Minute)
	v2 := e.emailSignIn("JANE@example.com")
	if v2.User.ID != v.User.ID {
		t.Fatal("case changed the user")
	}
	// Retry: same UUID, a new code; the previous one stops working.
	e.clock.Advance(time.Minute)
	id := e.emailStart("retry@example.com")
	old := e.lastCode("retry@example.com")
	r = e.do(req{Method: "POST", Path: "emailVerifications/retry", Body: map[string]any{"verificationUUID": id, "email": "retry@example.com"}})
	expectError(t, r, 429, "rate_limited")
	if r.Header.Get("Retry-After") != "30" {
		t.Fatalf("Retry-After %q", r.Header.Get("Retry-After"))
	}
	e.clock.Advance(30 * time.Second)
	r = e.do(req{Method: "POST", Path: "emailVerifications/retry", Body: map[string]any{"verificationUUID": id, "email": "retry@example.com"}})
	expectStatus(t, r, 201)
	var again emailCreateResponse
	r.JSON(t, &again)
	if again.VerificationUUID != id || again.Email != "retry@example.com" {
		t.Fatalf("retry %s", r.Body)
	}
	fresh := e.lastCode("retry@example.com")
	if fresh != old {
		expectError(t, e.do(req{Method: "POST", Path: "emailVerifications/signin", Body: map[string]any{"verificationUUID": id, "verificationToken": old}}), 422, "wrong_email_verification_token")
	}
	// A retry naming another address is refused as unknown.
	expectError(t, e.do(req{Method: "POST", Path: "emailVerifications/retry", Body: map[string]any{"verificationUUID": id, "email": "other@example.com"}}), 422, "invalid_email_verification")
	expectStatus(t, e.do(req{Method: "POST", Path: "emailVerifications/signin", Body: map[string]any{"verificationUUID": id, "verificationToken": fresh}}), 200)
}

func testSMSCodeErrors(t *testing.T, newStores storeFactory) {
	testCodeErrors(t, newStores, "smsVerifications", smsCodes, func(e *testEnv, i int) (string, string) {
		national, e164 := testPhone(10 + i)
		return e.smsStart(national), e164
	})
}

func testEmailCodeErrors(t *testing.T, newStores storeFactory) {
	testCodeErrors(t, newStores, "emailVerifications", emailCodes, func(e *testEnv, i int) (string, string) {
		addr := "codes" + strconv.Itoa(i) + "@example.com"
		return e.emailStart(addr), addr
	})
}

// testCodeErrors checks every row of server.md's code table for a channel.
func testCodeErrors(t *testing.T, newStores storeFactory, prefix string, c channelCodes, start func(e *testEnv, i int) (id, to string)) {
	e := newTestEnv(t, newStores)
	signin := func(id, code string) *resp {
		return e.do(req{Method: "POST", Path: prefix + "/signin", Body: map[string]any{"verificationUUID": id, "verificationToken": code}})
	}
	wrongOf := func(code string) string {
		if code == "000000" {
			return "111111"
		}
		return "000000"
	}

	t.Run("wrong code five times then locked", func(t *testing.T) {
		id, to := start(e, 0)
		code := e.lastCode(to)
		for range 5 {
			expectError(t, signin(id, wrongOf(code)), 422, c.wrong)
		}
		expectError(t, signin(id, code), 422, c.tooMany)
		expectError(t, signin(id, wrongOf(code)), 422, c.tooMany)
		// Retry of an exhausted verification answers as a sign-in would.
		e.clock.Advance(time.Minute)
		r := e.do(req{Method: "POST", Path: prefix + "/retry", Body: retryBody(prefix, id, to)})
		expectError(t, r, 422, c.tooMany)
	})
	t.Run("expired", func(t *testing.T) {
		id, to := start(e, 1)
		code := e.lastCode(to)
		e.clock.Advance(10*time.Minute + time.Second)
		expectError(t, signin(id, code), 422, c.expired)
	})
	t.Run("unknown and used", func(t *testing.T) {
		expectError(t, signin("3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "123456"), 422, c.invalid)
		id, to := start(e, 2)
		code := e.lastCode(to)
		expectStatus(t, signin(id, code), 200)
		expectError(t, signin(id, code), 422, c.invalid)
		e.clock.Advance(time.Minute)
		expectError(t, e.do(req{Method: "POST", Path: prefix + "/retry", Body: retryBody(prefix, id, to)}), 422, c.invalid)
		expectError(t, e.do(req{Method: "POST", Path: prefix + "/retry", Body: retryBody(prefix, "3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", to)}), 422, c.invalid)
	})
	t.Run("malformed", func(t *testing.T) {
		id, _ := start(e, 3)
		for _, bad := range []any{"12345", "1234567", "12a456", "", 12345, nil} {
			body := map[string]any{"verificationUUID": id}
			if bad != nil {
				body["verificationToken"] = bad
			}
			expectError(t, e.do(req{Method: "POST", Path: prefix + "/signin", Body: body}), 400, "validation_error")
		}
		expectError(t, signin("not-a-uuid", "123456"), 400, "validation_error")
		expectError(t, e.do(req{Method: "POST", Path: prefix + "/signin", Body: map[string]any{
			"verificationUUID": id, "verificationToken": "123456", "requestedScopes": []string{},
		}}), 400, "validation_error")
		expectError(t, e.do(req{Method: "POST", Path: prefix + "/signin", Body: map[string]any{
			"verificationUUID": id, "verificationToken": "123456", "requestedScopes": []string{"user:basic"},
		}}), 400, "validation_error")
		expectError(t, e.do(req{Method: "POST", Path: prefix + "/signin", Body: map[string]any{
			"verificationUUID": id, "verificationToken": "123456", "sessionPublicKey": "zz",
		}}), 400, "validation_error")
	})
}

// retryBody is a retry request for either channel.
func retryBody(prefix, id, to string) map[string]any {
	if prefix == "smsVerifications" {
		b := smsBody(to[2:])
		b["verificationUUID"] = id
		return b
	}
	return map[string]any{"verificationUUID": id, "email": to}
}

func testPhoneValidation(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	tests := []struct {
		name         string
		cc, num, iso string
		status       int
		code         string
	}{
		{"seed example is not valid", "1", "9171113333", "US", 400, "invalid_phone_number"},
		{"unknown region", "1", "9172113333", "ZZ", 400, "invalid_phone_number"},
		{"unknown three-letter region", "1", "9172113333", "USA", 400, "invalid_phone_number"},
		{"unknown region with a digit", "1", "9172113333", "US1", 400, "invalid_phone_number"},
		{"calling code of another region", "44", "9172113333", "US", 400, "invalid_phone_number"},
		{"too short", "1", "917", "US", 400, "invalid_phone_number"},
		{"toll-free refused by policy", "1", "8002530000", "US", 400, "phone_number_not_allowed"},
		{"premium rate refused by policy", "1", "9002530000", "US", 400, "phone_number_not_allowed"},
		{"fixed line refused by policy", "44", "2071838750", "GB", 400, "phone_number_not_allowed"},
		{"iso code failing its regex", "1", "9172113333", "U", 400, "validation_error"},
		{"iso code too long", "1", "9172113333", "USAAA", 400, "validation_error"},
		{"missing number", "1", "", "US", 400, "validation_error"},
		{"name-style violation", "1", "917<211>3333", "US", 400, "validation_error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(req{Method: "POST", Path: "smsVerifications/create", Body: map[string]any{
				"phoneCountryCode": tc.cc, "phoneNumber": tc.num, "isoCountryCode": tc.iso,
			}})
			expectError(t, r, tc.status, tc.code)
		})
	}
	t.Run("valid UK mobile", func(t *testing.T) {
		r := e.do(req{Method: "POST", Path: "smsVerifications/create", Body: map[string]any{
			"phoneCountryCode": "44", "phoneNumber": "07400 123456", "isoCountryCode": "gb",
		}})
		expectStatus(t, r, 201)
		var v smsCreateResponse
		r.JSON(t, &v)
		if v.PhoneNumber != "7400123456" || v.IsoCountryCode != "GB" || v.PhoneCountryCode != "44" {
			t.Fatalf("%s", r.Body)
		}
	})
	for _, bad := range []string{"", "no-at-sign", "a@b@c", "@example.com"} {
		expectError(t, e.do(req{Method: "POST", Path: "emailVerifications/create", Body: map[string]any{"email": bad}}), 400, "validation_error")
	}
}

func testSendLimitsAndRetry(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	national, e164 := testPhone(20)
	id := e.smsStart(national)
	retry := func() *resp {
		b := smsBody(national)
		b["verificationUUID"] = id
		return e.do(req{Method: "POST", Path: "smsVerifications/retry", Body: b})
	}
	first := e.lastCode(e164)
	// Cooldowns 30 s, 60 s, 120 s, 240 s after sends 1-4, counting
	// create and retry together; a refused send sends nothing.
	for i, wait := range []int{30, 60, 120, 240} {
		r := retry()
		expectError(t, r, 429, "rate_limited")
		if got := r.Header.Get("Retry-After"); got != strconv.Itoa(wait) {
			t.Fatalf("send %d: Retry-After %q, want %d", i+2, got, wait)
		}
		if n := len(e.devCodes(e164)); n != i+1 {
			t.Fatalf("%d messages after a refused send, want %d", n, i+1)
		}
		e.clock.Advance(time.Duration(wait) * time.Second)
		r = retry()
		expectStatus(t, r, 201)
		var v smsCreateResponse
		r.JSON(t, &v)
		if v.VerificationUUID != id {
			t.Fatalf("retry changed the UUID: %s", r.Body)
		}
	}
	// Five sends in 7.5 minutes: the sixth waits for the 5-per-10-minute
	// cap or the doubled cooldown, and works exactly at Retry-After.
	r := retry()
	expectError(t, r, 429, "rate_limited")
	ra, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || ra < 1 || ra > 600 {
		t.Fatalf("Retry-After %q after five sends", r.Header.Get("Retry-After"))
	}
	e.clock.Advance(time.Duration(ra-1) * time.Second)
	expectError(t, retry(), 429, "rate_limited")
	e.clock.Advance(time.Second)
	expectStatus(t, retry(), 201)
	codes := e.devCodes(e164)
	if len(codes) != 6 {
		t.Fatalf("%d codes sent", len(codes))
	}
	// Only the newest code works; earlier ones count as wrong.
	signin := func(code string) *resp {
		return e.do(req{Method: "POST", Path: "smsVerifications/signin", Body: map[string]any{"verificationUUID": id, "verificationToken": code}})
	}
	if first != codes[5] {
		expectError(t, signin(first), 422, "invalid_sms_verification")
	}
	expectStatus(t, signin(codes[5]), 200)
	// Each create is independent: an earlier verification stays usable.
	e.clock.Advance(time.Hour)
	id1 := e.smsStart(national)
	c1 := e.lastCode(e164)
	e.clock.Advance(31 * time.Second)
	id2 := e.smsStart(national)
	c2 := e.lastCode(e164)
	expectStatus(t, e.do(req{Method: "POST", Path: "smsVerifications/signin", Body: map[string]any{"verificationUUID": id1, "verificationToken": c1}}), 200)
	expectStatus(t, e.do(req{Method: "POST", Path: "smsVerifications/signin", Body: map[string]any{"verificationUUID": id2, "verificationToken": c2}}), 200)
}

func testCreateDoesNotRevealUsers(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	e.smsSignIn(30, nil) // +1 917 211 3330 now belongs to a user
	e.clock.Advance(time.Hour)
	known, _ := testPhone(30)
	unknown, _ := testPhone(31)
	a := e.do(req{Method: "POST", Path: "smsVerifications/create", Body: smsBody(known)})
	b := e.do(req{Method: "POST", Path: "smsVerifications/create", Body: smsBody(unknown)})
	compareAnswers(t, a, b)
	ra := e.do(req{Method: "POST", Path: "smsVerifications/create", Body: smsBody(known)})
	rb := e.do(req{Method: "POST", Path: "smsVerifications/create", Body: smsBody(unknown)})
	compareAnswers(t, ra, rb) // both refused by the cooldown
	e2 := e.emailSignIn("known@example.com")
	_ = e2
	e.clock.Advance(time.Hour)
	ea := e.do(req{Method: "POST", Path: "emailVerifications/create", Body: map[string]any{"email": "known@example.com"}})
	eb := e.do(req{Method: "POST", Path: "emailVerifications/create", Body: map[string]any{"email": "unknown@example.com"}})
	compareAnswers(t, ea, eb)
}

// compareAnswers checks that two answers differ only in the values that
// must differ (ids, the number or address itself, Date).
func compareAnswers(t *testing.T, a, b *resp) {
	t.Helper()
	if a.Status != b.Status {
		t.Fatalf("status %d vs %d", a.Status, b.Status)
	}
	ha, hb := slices.Sorted(maps.Keys(a.Header)), slices.Sorted(maps.Keys(b.Header))
	if !slices.Equal(ha, hb) {
		t.Fatalf("headers %v vs %v", ha, hb)
	}
	for _, k := range ha {
		if k == "Date" || k == "Content-Length" {
			continue
		}
		if !slices.Equal(a.Header[k], b.Header[k]) {
			t.Fatalf("header %s: %v vs %v", k, a.Header[k], b.Header[k])
		}
	}
	ka, kb := slices.Sorted(maps.Keys(a.Map(t))), slices.Sorted(maps.Keys(b.Map(t)))
	if !slices.Equal(ka, kb) {
		t.Fatalf("body keys %v vs %v", ka, kb)
	}
}

func testParallelSameCode(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	national, e164 := testPhone(40)
	id := e.smsStart(national)
	code := e.lastCode(e164)
	const clients = 20
	var wg sync.WaitGroup
	statuses := make([]int, clients)
	codes := make([]string, clients)
	start := make(chan struct{})
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			body := `{"verificationUUID":"` + id + `","verificationToken":"` + code + `"}`
			hr, err := http.NewRequest("POST", e.base+"/smsVerifications/signin", stringsReader(body))
			if err != nil {
				t.Error(err)
				return
			}
			hr.Header.Set("Content-Type", "application/json")
			res, err := e.ts.Client().Do(hr)
			if err != nil {
				t.Error(err)
				return
			}
			defer res.Body.Close()
			statuses[i] = res.StatusCode
			var eb errorBody
			_ = jsonDecode(res.Body, &eb)
			codes[i] = eb.Code
		}()
	}
	close(start)
	wg.Wait()
	ok := 0
	for i, s := range statuses {
		switch {
		case s == 200:
			ok++
		case s == 422 && codes[i] == "invalid_sms_verification":
		default:
			t.Errorf("client %d: %d %s", i, s, codes[i])
		}
	}
	if ok != 1 {
		t.Fatalf("%d clients signed in, want exactly 1", ok)
	}
}
