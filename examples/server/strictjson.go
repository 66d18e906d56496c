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
	if ct == "application/json" {
		return true // what every client sends; ParseMediaType allocates
	}
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
	buf := getBuffer()
	defer putBuffer(buf) // Unmarshal copies what it keeps
	_, err := buf.ReadFrom(io.LimitReader(r.Body, maxBodyBytes+1))
	b := buf.Bytes()
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

// checkStrictJSON scans b once, walking t (the Go type it will be decoded
// into) alongside, and refuses invalid JSON, trailing data, duplicate
// keys at any depth, keys that match a field of t only case-insensitively,
// and nesting deeper than maxJSONDepth. It accepts exactly the grammar of
// RFC 8259 (as encoding/json does, bytes of invalid UTF-8 included) and,
// unlike json.Decoder.Token, allocates nothing for ordinary bodies.
func checkStrictJSON(b []byte, t reflect.Type) error {
	sc := strictScanner{b: b}
	sc.skipSpace()
	if err := sc.value(t, 0); err != nil {
		return err
	}
	sc.skipSpace()
	if sc.i != len(b) {
		return &jsonBodyError{err: errJSONTrailing}
	}
	return nil
}

// errJSONSyntax is any violation of the JSON grammar; it is not a
// jsonBodyError, so the client sees "Malformed JSON body."
var errJSONSyntax = errors.New("invalid JSON")

// smallObjectKeys is how many keys of one object are checked for
// duplicates by comparison before a map takes over (quadratic otherwise).
const smallObjectKeys = 16

// strictScanner is checkStrictJSON's cursor over the body.
type strictScanner struct {
	b []byte
	i int
}

func (sc *strictScanner) skipSpace() {
	for sc.i < len(sc.b) {
		switch sc.b[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return
		}
	}
}

// value consumes one value starting at sc.i (no leading space). t is the
// type it decodes into, or nil when only its syntax and key uniqueness
// matter.
func (sc *strictScanner) value(t reflect.Type, depth int) error {
	if sc.i >= len(sc.b) {
		return errJSONSyntax
	}
	switch c := sc.b[sc.i]; {
	case c == '{' || c == '[':
		if depth >= maxJSONDepth {
			return &jsonBodyError{err: errJSONTooDeep}
		}
		sc.i++
		if c == '{' {
			return sc.object(jsonTarget(t), depth)
		}
		return sc.array(jsonTarget(t), depth)
	case c == '"':
		_, _, err := sc.str()
		return err
	case c == 't':
		return sc.literal("true")
	case c == 'f':
		return sc.literal("false")
	case c == 'n':
		return sc.literal("null")
	default:
		return sc.number()
	}
}

// object consumes the members of an object after its '{'.
func (sc *strictScanner) object(t reflect.Type, depth int) error {
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
	var small [smallObjectKeys][]byte
	keys := small[:0]
	var many map[string]struct{}
	sc.skipSpace()
	if sc.i < len(sc.b) && sc.b[sc.i] == '}' {
		sc.i++
		return nil
	}
	for {
		if sc.i >= len(sc.b) || sc.b[sc.i] != '"' {
			return errJSONSyntax
		}
		key, err := sc.key()
		if err != nil {
			return err
		}
		switch {
		case many != nil:
			if _, dup := many[string(key)]; dup {
				return &jsonBodyError{err: errJSONDuplicateKey}
			}
			many[string(key)] = struct{}{}
		default:
			for _, k := range keys {
				if bytes.Equal(k, key) {
					return &jsonBodyError{err: errJSONDuplicateKey}
				}
			}
			if len(keys) < smallObjectKeys {
				keys = append(keys, key)
			} else {
				many = make(map[string]struct{}, 2*smallObjectKeys)
				for _, k := range keys {
					many[string(k)] = struct{}{}
				}
				many[string(key)] = struct{}{}
			}
		}
		next := elem
		if fields != nil {
			if ft, ok := fields.exact[string(key)]; ok {
				next = ft
			} else if name, ok := fields.folded(key); ok {
				return &jsonBodyError{err: errJSONKeyCase, Key: name}
			}
		}
		sc.skipSpace()
		if sc.i >= len(sc.b) || sc.b[sc.i] != ':' {
			return errJSONSyntax
		}
		sc.i++
		sc.skipSpace()
		if err := sc.value(next, depth+1); err != nil {
			return err
		}
		sc.skipSpace()
		if sc.i >= len(sc.b) {
			return errJSONSyntax
		}
		switch sc.b[sc.i] {
		case ',':
			sc.i++
			sc.skipSpace()
		case '}':
			sc.i++
			return nil
		default:
			return errJSONSyntax
		}
	}
}

// array consumes the elements of an array after its '['.
func (sc *strictScanner) array(t reflect.Type, depth int) error {
	var elem reflect.Type
	if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
		elem = t.Elem()
	}
	sc.skipSpace()
	if sc.i < len(sc.b) && sc.b[sc.i] == ']' {
		sc.i++
		return nil
	}
	for {
		if err := sc.value(elem, depth+1); err != nil {
			return err
		}
		sc.skipSpace()
		if sc.i >= len(sc.b) {
			return errJSONSyntax
		}
		switch sc.b[sc.i] {
		case ',':
			sc.i++
			sc.skipSpace()
		case ']':
			sc.i++
			return nil
		default:
			return errJSONSyntax
		}
	}
}

// key consumes a string and returns its decoded value: the raw bytes
// when it is plain ASCII without escapes, otherwise what encoding/json
// decodes it to (invalid UTF-8 becomes U+FFFD), so that duplicates and
// field names compare as encoding/json will see them.
func (sc *strictScanner) key() ([]byte, error) {
	start := sc.i
	plain, end, err := sc.str()
	if err != nil {
		return nil, err
	}
	if plain {
		return sc.b[start+1 : end-1], nil
	}
	var s string
	if err := json.Unmarshal(sc.b[start:end], &s); err != nil {
		return nil, errJSONSyntax
	}
	return []byte(s), nil
}

// str consumes a string at sc.i (its opening quote) and reports whether
// it holds only printable ASCII without escapes, and where it ends.
func (sc *strictScanner) str() (plain bool, end int, err error) {
	plain = true
	for i := sc.i + 1; i < len(sc.b); i++ {
		switch c := sc.b[i]; {
		case c == '"':
			sc.i = i + 1
			return plain, sc.i, nil
		case c < 0x20:
			return false, 0, errJSONSyntax
		case c == '\\':
			plain = false
			i++
			if i >= len(sc.b) {
				return false, 0, errJSONSyntax
			}
			switch sc.b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(sc.b) {
					return false, 0, errJSONSyntax
				}
				for _, h := range sc.b[i+1 : i+5] {
					if !isHexDigit(h) {
						return false, 0, errJSONSyntax
					}
				}
				i += 4
			default:
				return false, 0, errJSONSyntax
			}
		case c >= 0x80:
			plain = false
		}
	}
	return false, 0, errJSONSyntax
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// literal consumes true, false or null.
func (sc *strictScanner) literal(lit string) error {
	if !bytes.HasPrefix(sc.b[sc.i:], []byte(lit)) {
		return errJSONSyntax
	}
	sc.i += len(lit)
	return nil
}

// number consumes a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (sc *strictScanner) number() error {
	b, i := sc.b, sc.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i = skipDigits(b, i)
	default:
		return errJSONSyntax
	}
	if i < len(b) && b[i] == '.' {
		j := skipDigits(b, i+1)
		if j == i+1 {
			return errJSONSyntax
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := skipDigits(b, i)
		if j == i {
			return errJSONSyntax
		}
		i = j
	}
	sc.i = i
	return nil
}

func skipDigits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
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
func (f *jsonFields) folded(key []byte) (string, bool) {
	for _, n := range f.names {
		if bytes.EqualFold([]byte(n), key) {
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
