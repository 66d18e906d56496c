package main

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestCheckStrictJSON(t *testing.T) {
	sub := reflect.TypeFor[*codeSubmission]()
	put := reflect.TypeFor[*updateSelfRequest]()
	retry := reflect.TypeFor[*smsRetryRequest]()
	tests := []struct {
		name string
		typ  reflect.Type
		body string
		want error // nil: accepted
	}{
		{"plain", sub, `{"verificationUUID":"u","verificationToken":"123456"}`, nil},
		{"unknown keys allowed", sub, `{"verificationUUID":"u","x-extra":{"a":[1,2]}}`, nil},
		{"nested exact", sub, `{"createMfaToken":{"singleUse":true},"requestedScopes":["a","b"]}`, nil},
		{"duplicate top", sub, `{"verificationUUID":"a","verificationUUID":"b"}`, errJSONDuplicateKey},
		{"duplicate by escape", sub, `{"verificationUUID":"a","verificationUUI\u0044":"b"}`, errJSONDuplicateKey},
		{"duplicate nested", sub, `{"createMfaToken":{"singleUse":true,"singleUse":false}}`, errJSONDuplicateKey},
		{"duplicate in unknown", sub, `{"extra":{"a":1,"a":2}}`, errJSONDuplicateKey},
		{"duplicate in array", sub, `{"extra":[{"a":1},{"b":1,"b":2}]}`, errJSONDuplicateKey},
		{"same key in sibling objects", sub, `{"extra":[{"a":1},{"a":2}]}`, nil},
		{"case top", sub, `{"VerificationUUID":"a"}`, errJSONKeyCase},
		{"case lower", sub, `{"verificationuuid":"a"}`, errJSONKeyCase},
		{"case nested", sub, `{"createMfaToken":{"SingleUse":true}}`, errJSONKeyCase},
		{"case by unicode fold", sub, `{"createMfaToken":{"ſingleUse":true}}`, errJSONKeyCase},
		{"case promoted field", put, `{"FirstName":"x"}`, errJSONKeyCase},
		{"promoted field exact", put, `{"firstName":"x","mfaBackupCodeAcknowledgement":"y"}`, nil},
		{"case embedded struct field", retry, `{"PhoneNumber":"1"}`, errJSONKeyCase},
		{"custom unmarshaler opaque", sub, `{"verificationToken":{"a":1}}`, nil},
		{"trailing", sub, `{} {}`, errJSONTrailing},
		{"deep", sub, `{"x":` + strings.Repeat("[", maxJSONDepth+1) + strings.Repeat("]", maxJSONDepth+1) + `}`, errJSONTooDeep},
		{"not json", sub, `{"a":}`, errors.New("syntax")},
		{"unterminated", sub, `{"a":1`, errors.New("syntax")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := checkStrictJSON([]byte(tc.body), tc.typ)
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want == nil:
			case err == nil:
				t.Fatal("accepted")
			case tc.want.Error() == "syntax":
				var je *jsonBodyError
				if errors.As(err, &je) {
					t.Fatalf("err %v, want a syntax error", err)
				}
			case !errors.Is(err, tc.want):
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
}

func TestIsJSONContentType(t *testing.T) {
	for ct, want := range map[string]bool{
		"application/json":                     true,
		"Application/JSON":                     true,
		"application/json; charset=utf-8":      true,
		"application/json;charset=UTF-8":       true,
		`application/json; charset="utf-8"`:    true,
		"application/json; charset=iso-8859-1": false,
		"application/json; boundary=x":         false,
		"text/plain":                           false,
		"text/plain; charset=utf-8":            false,
		"application/x-www-form-urlencoded":    false,
		"multipart/form-data; boundary=x":      false,
		"application/jsonp":                    false,
		"application/json, text/plain":         false,
		"":                                     false,
	} {
		if got := isJSONContentType(ct); got != want {
			t.Errorf("%q: %v, want %v", ct, got, want)
		}
	}
}

// A cross-site page can POST text/plain or a form without a preflight: the
// server must not read such a body as JSON, so no code is sent (the issue's
// SMS pumping from visitors' browsers). Duplicate and miscased keys are
// refused before anything happens.
func TestJSONBodiesStrict(t *testing.T) {
	e := newTestEnv(t, nil)
	national, e164 := testPhone(90)
	body, _ := json.Marshal(smsBody(national))
	for _, tc := range []struct {
		ct     string
		body   string
		status int
		code   string
	}{
		{"text/plain", string(body), 415, "unsupported_media_type"},
		{"text/plain;charset=UTF-8", string(body), 415, "unsupported_media_type"},
		{"application/x-www-form-urlencoded", string(body), 415, "unsupported_media_type"},
		{"multipart/form-data; boundary=x", string(body), 415, "unsupported_media_type"},
		{"", string(body), 415, "unsupported_media_type"},
		{"application/json; charset=latin1", string(body), 415, "unsupported_media_type"},
		{"application/json", `{"phoneCountryCode":"1","phoneNumber":"` + national + `","phoneNumber":"` + national + `","isoCountryCode":"US"}`, 400, "validation_error"},
		{"application/json", `{"phoneCountryCode":"1","PhoneNumber":"` + national + `","isoCountryCode":"US"}`, 400, "validation_error"},
		{"application/json", `{"phoneCountryCode":"1","phoneNumber":"` + national + `","isoCountryCode":"US"} trailing`, 400, "validation_error"},
		{"text/plain", ``, 415, "unsupported_media_type"},
	} {
		r := e.do(req{Method: "POST", Path: "smsVerifications/create", Body: tc.body, Header: map[string]string{"Content-Type": tc.ct}})
		expectError(t, r, tc.status, tc.code)
	}
	if codes := e.devCodes(e164); len(codes) != 0 {
		t.Fatalf("refused bodies sent %d codes", len(codes))
	}
	// The same body declared as JSON, with a charset, is served.
	r := e.do(req{Method: "POST", Path: "smsVerifications/create", Body: string(body), Header: map[string]string{"Content-Type": "application/json; charset=utf-8"}})
	expectStatus(t, r, 201)
	if codes := e.devCodes(e164); len(codes) != 1 {
		t.Fatalf("%d codes sent, want 1", len(codes))
	}

	// Last-wins duplicates would let a body read as one address by a
	// proxy or log be sent to another.
	r = e.do(req{Method: "POST", Path: "emailVerifications/create", Body: `{"email":"shown@example.com","email":"victim@example.com"}`})
	expectError(t, r, 400, "validation_error")
	r = e.do(req{Method: "POST", Path: "emailVerifications/create", Body: `{"Email":"victim@example.com"}`})
	expectError(t, r, 400, "validation_error")
	if n := len(e.devCodes("victim@example.com")) + len(e.devCodes("shown@example.com")); n != 0 {
		t.Fatalf("%d codes sent", n)
	}
	// An empty body without a Content-Type is still {} (a missing field).
	r = e.do(req{Method: "POST", Path: "emailVerifications/create", Header: map[string]string{"Content-Type": ""}})
	expectError(t, r, 400, "validation_error")
}

// FuzzStrictJSON: the strict scan never panics; what it accepts is valid
// JSON that encoding/json decodes, with every top-level key either
// spelled exactly as a field or matching none.
func FuzzStrictJSON(f *testing.F) {
	for _, s := range []string{
		`{"verificationUUID":"u","verificationToken":"123456"}`,
		`{"verificationUUID":"a","verificationUUID":"b"}`,
		`{"verificationuuid":"a"}`,
		`{"createMfaToken":{"singleUse":true,"singleUse":false}}`,
		`{"createMfaToken":{"ſingleUse":true}}`,
		`{"requestedScopes":["a",{"b":1,"b":2}]}`,
		`{"a":"\ud800","\u0061":1}`,
		`{} {}`, `[]`, `null`, `1e999`, `{"a":[[[[[[[[]]]]]]]]}`, ``,
	} {
		f.Add(s)
	}
	typ := reflect.TypeFor[*codeSubmission]()
	fields := fieldsOf(reflect.TypeFor[codeSubmission]())
	f.Fuzz(func(t *testing.T, body string) {
		if checkStrictJSON([]byte(body), typ) != nil {
			return
		}
		if !json.Valid([]byte(body)) {
			t.Fatalf("accepted invalid JSON %q", body)
		}
		var top map[string]json.RawMessage
		if json.Unmarshal([]byte(body), &top) != nil {
			return // not an object: the handler's Unmarshal refuses it
		}
		for k := range top {
			if _, exact := fields.exact[k]; !exact {
				if name, ok := fields.folded([]byte(k)); ok {
					t.Fatalf("accepted %q for %q", k, name)
				}
			}
		}
	})
}
