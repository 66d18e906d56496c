package main

import (
	"encoding/json"
	"testing"
)

// The hand-written encoders write what json.Marshal writes.
func TestAppendJSONMatchesMarshal(t *testing.T) {
	odd := "a\"b\\c<d>e&f\n\r\t\b\f\x00\x1f\u2028\u2029\xff\xfeé😀"
	for _, v := range []jsonAppender{
		smsCreateResponse{VerificationUUID: "824fee81-5c6c-486f-8110-1dbd3a91e0a0", PhoneNumber: "9172113333", PhoneCountryCode: "1", IsoCountryCode: "US"},
		smsCreateResponse{VerificationUUID: odd, PhoneNumber: odd},
		emailCreateResponse{VerificationUUID: "x", Email: "jane+<x>@example.com"},
		errorBody{Error: "Malformed JSON body: key not spelled " + odd + ".", Code: "validation_error"},
		devMessageList{},
		devMessageList{{Channel: "sms", To: "+19172113333", Code: "123456", SentAt: "2026-01-02T03:04:05Z"}, {Channel: "email", To: odd, Code: odd, SentAt: odd}},
	} {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if got := v.appendJSON(nil); string(got) != string(want) {
			t.Errorf("%T:\n got %s\nwant %s", v, got, want)
		}
	}
}

// FuzzAppendJSONString: any string, valid UTF-8 or not, is escaped as
// encoding/json escapes it.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", "<&>", "\u2028\u2029", "\xff", "\x00\x1f\"\\", "é😀\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Fatalf("%q: got %s, want %s", s, got, want)
		}
	})
}
