package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

// The reference for checkStrictJSON: the token-by-token scan it replaced
// (json.Decoder.Token, one allocation per token). FuzzStrictJSONMatchesTokens
// holds the two to the same verdict on every body.

func checkStrictJSONTokens(b []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := scanJSONTokens(dec, t, 0); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &jsonBodyError{err: errJSONTrailing}
	}
	return nil
}

func scanJSONTokens(dec *json.Decoder, t reflect.Type, depth int) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	if depth >= maxJSONDepth {
		return &jsonBodyError{err: errJSONTooDeep}
	}
	t = jsonTarget(t)
	switch d {
	case '{':
		var fields *jsonFields
		var elem reflect.Type
		if t != nil {
			switch t.Kind() {
			case reflect.Struct:
				fields = fieldsOf(t)
			case reflect.Map:
				elem = t.Elem()
			}
		}
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := kt.(string)
			if seen[key] {
				return &jsonBodyError{err: errJSONDuplicateKey}
			}
			seen[key] = true
			next := elem
			if fields != nil {
				if ft, ok := fields.exact[key]; ok {
					next = ft
				} else {
					for _, n := range fields.names {
						if strings.EqualFold(n, key) {
							return &jsonBodyError{err: errJSONKeyCase, Key: n}
						}
					}
				}
			}
			if err := scanJSONTokens(dec, next, depth+1); err != nil {
				return err
			}
		}
	case '[':
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for dec.More() {
			if err := scanJSONTokens(dec, elem, depth+1); err != nil {
				return err
			}
		}
	}
	_, err = dec.Token()
	return err
}

// verdict names the outcome of a strict scan: ok, syntax, or the
// jsonBodyError's reason and key.
func verdict(err error) string {
	var je *jsonBodyError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &je):
		return je.Error()
	default:
		return "syntax"
	}
}

// FuzzStrictJSONMatchesTokens: the one-pass scanner gives the verdict of
// the token scan it replaced, for every body and request type.
func FuzzStrictJSONMatchesTokens(f *testing.F) {
	for _, s := range []string{
		`{"verificationUUID":"u","verificationToken":"123456"}`,
		`{"verificationUUID":"a","verificationUUID":"b"}`,
		`{"verificationUUID":"a","verificationUUI\u0044":"b"}`,
		`{"verificationuuid":"a"}`, `{"createMfaToken":{"ſingleUse":true}}`,
		`{"requestedScopes":["a",{"b":1,"b":2}]}`, `{"a":"\ud800","\u0061":1}`,
		"{\"\xff\":1,\"\xfe\":2}", `{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17,"a":18}`,
		`{} {}`, `{}x`, `[]`, `null`, `truex`, `-0.5e+3`, `01`, `1.`, `{"a":1,}`, `[1,]`, `{"a" 1}`,
		`{"x":` + strings.Repeat("[", maxJSONDepth+1) + `}`, `{"a":"\x"}`, "{\"a\":\"\x01\"}", ``, ` `,
		`{"PhoneNumber":"1"}`, `{"firstName":"x","FirstName":"y"}`,
	} {
		f.Add(s, uint8(0))
		f.Add(s, uint8(1))
		f.Add(s, uint8(2))
	}
	types := []reflect.Type{reflect.TypeFor[*codeSubmission](), reflect.TypeFor[*updateSelfRequest](), reflect.TypeFor[*smsRetryRequest]()}
	f.Fuzz(func(t *testing.T, body string, which uint8) {
		typ := types[int(which)%len(types)]
		got, want := verdict(checkStrictJSON([]byte(body), typ)), verdict(checkStrictJSONTokens([]byte(body), typ))
		if got != want {
			t.Fatalf("%q as %v: %s, token scan says %s", body, typ, got, want)
		}
	})
}
