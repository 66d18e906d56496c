package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"sync"
)

// Request bodies are decoded strictly, by one helper every handler uses:
//
//   - the body must be declared application/json (charset utf-8 allowed),
//     so that a cross-site page cannot send one with a "simple" text/plain
//     or form POST, which a browser sends without a CORS preflight;
//   - a key may appear once per object, at any depth: encoding/json keeps
//     the last of duplicates, so two parsers (a proxy, a WAF, a log) could
//     read two different requests from one body (RFC 8259 §4 leaves
//     duplicates to the implementation);
//   - a key must be spelled exactly as documented: encoding/json matches
//     field names case-insensitively, so "VerificationUUID" and
//     "verificationuuid" would both fill verificationUUID.
//
// Unknown keys stay allowed (the SDK sends fields this server ignores).

// maxJSONDepth bounds nesting; no request body of the API is deeper than 3.
const maxJSONDepth = 32

// Reasons a body fails the strict scan, wrapped in a jsonBodyError.
var (
	errJSONDuplicateKey = errors.New("duplicate key")
	errJSONKeyCase      = errors.New("key not spelled as documented")
	errJSONTooDeep      = errors.New("nested too deeply")
	errJSONTrailing     = errors.New("trailing data")
)

// jsonBodyError is a body refused by checkStrictJSON; Key is the
// documented spelling (for errJSONKeyCase), never the client's input.
type jsonBodyError struct {
	err error
	Key string
}

func (e *jsonBodyError) Error() string {
	if e.Key != "" {
		return e.err.Error() + ": " + e.Key
	}
	return e.err.Error()
}

func (e *jsonBodyError) Unwrap() error { return e.err }

func errUnsupportedMediaType() *apiError {
	return &apiError{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Msg: "The request body must be Content-Type: application/json."}
}

// isJSONContentType reports whether ct is application/json with, at most,
// a utf-8 charset (RFC 8259 §8.1: JSON between systems is UTF-8).
func isJSONContentType(ct string) bool {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return false
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return false
		}
	}
	return true
}

// decodeJSON reads the request body into v. An empty body decodes as {}
// (so that a missing required field is reported as such) unless it is
// declared as something other than JSON; a non-empty body must be
// application/json (415 otherwise). Anything that is not one JSON object
// with unique, exactly spelled keys is 400 validation_error, and a body
// over the limit is 413.
func decodeJSON(r *http.Request, v any) error {
	ct := r.Header.Get("Content-Type")
	if ct != "" && !isJSONContentType(ct) {
		return errUnsupportedMediaType()
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return errValidation("Malformed JSON body.")
	}
	if len(b) > maxBodyBytes {
		return errBodyTooLarge()
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	if ct == "" {
		return errUnsupportedMediaType()
	}
	return unmarshalStrict(b, v)
}

// unmarshalStrict is json.Unmarshal after checkStrictJSON, with the
// server's validation errors.
func unmarshalStrict(b []byte, v any) error {
	if err := checkStrictJSON(b, reflect.TypeOf(v)); err != nil {
		var je *jsonBodyError
		switch {
		case !errors.As(err, &je):
			return errValidation("Malformed JSON body.")
		case errors.Is(err, errJSONKeyCase):
			return errValidation("Malformed JSON body: key not spelled " + je.Key + ".")
		}
		return errValidation("Malformed JSON body: " + je.Error() + ".")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return errValidation("Malformed JSON body.")
	}
	return nil
}

// checkStrictJSON scans b token by token, walking t (the Go type it will
// be decoded into) alongside, and refuses invalid JSON, trailing data,
// duplicate keys at any depth, keys that match a field of t only
// case-insensitively, and nesting deeper than maxJSONDepth.
func checkStrictJSON(b []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // numbers are only skipped; never lose one to float64
	if err := scanJSONValue(dec, t, 0); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &jsonBodyError{err: errJSONTrailing}
	}
	return nil
}

// scanJSONValue consumes one value. t is the type it decodes into, or nil
// when only its syntax and key uniqueness matter.
func scanJSONValue(dec *json.Decoder, t reflect.Type, depth int) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil // a scalar
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
			key, _ := kt.(string) // the decoder guarantees a string here
			if seen[key] {
				return &jsonBodyError{err: errJSONDuplicateKey}
			}
			seen[key] = true
			next := elem
			if fields != nil {
				if ft, ok := fields.exact[key]; ok {
					next = ft
				} else if name, ok := fields.folded(key); ok {
					return &jsonBodyError{err: errJSONKeyCase, Key: name}
				}
			}
			if err := scanJSONValue(dec, next, depth+1); err != nil {
				return err
			}
		}
	case '[':
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for dec.More() {
			if err := scanJSONValue(dec, elem, depth+1); err != nil {
				return err
			}
		}
	}
	_, err = dec.Token() // the closing delimiter
	return err
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// jsonTarget strips pointers from t, and returns nil for types whose JSON
// shape this scan does not know: interfaces and custom unmarshalers.
func jsonTarget(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() == reflect.Interface || t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) {
		return nil
	}
	return t
}

// jsonFields are the JSON keys of a struct type, as encoding/json names
// them (tag name or field name, embedded structs promoted).
type jsonFields struct {
	exact map[string]reflect.Type
	names []string
}

// folded returns the documented key that key matches only
// case-insensitively: strings.EqualFold is the folding encoding/json uses.
func (f *jsonFields) folded(key string) (string, bool) {
	for _, n := range f.names {
		if strings.EqualFold(n, key) {
			return n, true
		}
	}
	return "", false
}

var jsonFieldsCache sync.Map // reflect.Type → *jsonFields

func fieldsOf(t reflect.Type) *jsonFields {
	if f, ok := jsonFieldsCache.Load(t); ok {
		return f.(*jsonFields)
	}
	f := &jsonFields{exact: map[string]reflect.Type{}}
	addJSONFields(f, t, 0)
	jsonFieldsCache.Store(t, f)
	return f
}

// addJSONFields adds t's fields; fields of embedded structs come after
// (and lose to) the outer ones, as in encoding/json.
func addJSONFields(f *jsonFields, t reflect.Type, depth int) {
	var embedded []reflect.Type
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if sf.Anonymous && name == "" {
			ft := sf.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				embedded = append(embedded, ft)
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		if _, dup := f.exact[name]; !dup {
			f.exact[name] = sf.Type
			f.names = append(f.names, name)
		}
	}
	if depth < 8 {
		for _, et := range embedded {
			addJSONFields(f, et, depth+1)
		}
	}
}
