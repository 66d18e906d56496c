package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"unicode/utf8"
)

// Response bodies. writeJSON encodes into a pooled buffer; the small
// answers of the sign-in path (create, /dev/messages, errors) encode
// themselves by hand (appendJSON) with the escaping of encoding/json, so
// that the hot path neither reflects nor allocates per field.

// jsonAppender is a response that writes its own JSON, byte for byte what
// json.Marshal writes for it.
type jsonAppender interface {
	appendJSON(b []byte) []byte
}

// maxPooledBody caps the buffers kept for reuse, so that one large answer
// does not pin its buffer for good.
const maxPooledBody = 64 << 10

var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBuffer() *bytes.Buffer {
	buf := bodyPool.Get().(*bytes.Buffer)
	buf.Reset()
	return buf
}

func putBuffer(buf *bytes.Buffer) {
	if buf.Cap() <= maxPooledBody {
		bodyPool.Put(buf)
	}
}

// Header values the server sets on every answer, shared rather than built
// per request (net/http only reads them).
var (
	hdrJSON    = []string{"application/json; charset=utf-8"}
	hdrNoStore = []string{"no-store"}
	hdrNosniff = []string{"nosniff"}
)

// writeJSON answers with v as JSON. API answers are never cached: most
// carry tokens or personal data.
func writeJSON(w http.ResponseWriter, status int, v any) {
	buf := getBuffer()
	defer putBuffer(buf)
	if a, ok := v.(jsonAppender); ok {
		buf.Write(a.appendJSON(buf.AvailableBuffer()))
		buf.WriteByte('\n')
	} else if err := json.NewEncoder(buf).Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":"Internal error.","code":"internal_error"}` + "\n")
	}
	h := w.Header()
	h["Content-Type"] = hdrJSON
	h["Cache-Control"] = hdrNoStore
	h["Content-Length"] = []string{strconv.Itoa(buf.Len())}
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (r smsCreateResponse) appendJSON(b []byte) []byte {
	b = append(b, `{"verificationUUID":`...)
	b = appendJSONString(b, r.VerificationUUID)
	b = append(b, `,"phoneNumber":`...)
	b = appendJSONString(b, r.PhoneNumber)
	b = append(b, `,"phoneCountryCode":`...)
	b = appendJSONString(b, r.PhoneCountryCode)
	b = append(b, `,"isoCountryCode":`...)
	b = appendJSONString(b, r.IsoCountryCode)
	return append(b, '}')
}

func (r emailCreateResponse) appendJSON(b []byte) []byte {
	b = append(b, `{"verificationUUID":`...)
	b = appendJSONString(b, r.VerificationUUID)
	b = append(b, `,"email":`...)
	b = appendJSONString(b, r.Email)
	return append(b, '}')
}

func (e errorBody) appendJSON(b []byte) []byte {
	b = append(b, `{"error":`...)
	b = appendJSONString(b, e.Error)
	b = append(b, `,"code":`...)
	b = appendJSONString(b, e.Code)
	return append(b, '}')
}

// devMessageList is the answer of GET /dev/messages.
type devMessageList []devMessage

func (l devMessageList) appendJSON(b []byte) []byte {
	b = append(b, '[')
	for i, m := range l {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"channel":`...)
		b = appendJSONString(b, m.Channel)
		b = append(b, `,"to":`...)
		b = appendJSONString(b, m.To)
		b = append(b, `,"code":`...)
		b = appendJSONString(b, m.Code)
		b = append(b, `,"sentAt":`...)
		b = appendJSONString(b, m.SentAt)
		b = append(b, '}')
	}
	return append(b, ']')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string exactly as encoding/json
// writes it: <, > and & escaped for HTML, U+2028 and U+2029 escaped for
// JavaScript, invalid UTF-8 replaced by U+FFFD (RFC 8259 §7).
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
