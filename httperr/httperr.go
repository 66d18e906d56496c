package httperr

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/session/stepup"
)

// Answer is how one error is answered over HTTP.
type Answer struct {
	// Status is the HTTP status code.
	Status int
	// Code is the stable machine-readable code, such as
	// "verification_wrong_code" or "invalid_token".
	Code string
	// Message is a short English message that is safe to show: the text
	// of the matched sentinel, never the wrapped chain (which may carry
	// user input or a provider's words). For 5xx answers other than 502
	// and 503 it is "internal error".
	Message string
	// RetryAfter is positive for a rate limit that ends: the delay before
	// the caller may try again (send it with RetryAfterSeconds).
	RetryAfter time.Duration
}

// CodeInternal is the code of every error without a row of its own, and of
// the errors only a misconfiguration or a bug can cause.
const CodeInternal = "internal_error"

// Of returns the Answer for err: the first row of the table that err
// matches with errors.Is, or 500 CodeInternal when none does. A nil err
// has the zero Answer.
func Of(err error) Answer {
	if err == nil {
		return Answer{}
	}
	if a, ok := Lookup(err); ok {
		return a
	}
	return internal
}

// Lookup is Of for a host that layers its own mapping: ok is false when no
// row matches err (or err is nil).
func Lookup(err error) (a Answer, ok bool) {
	if err == nil {
		return Answer{}, false
	}
	for i := range rows {
		r := &rows[i]
		if !errors.Is(err, r.err) {
			continue
		}
		a = Answer{Status: r.status, Code: r.code, Message: r.err.Error()}
		if r.code == CodeInternal {
			a = internal
		}
		if a.Status == http.StatusTooManyRequests {
			a.RetryAfter = retryAfter(err)
		}
		return a, true
	}
	return Answer{}, false
}

// internal is the answer that discloses nothing.
var internal = Answer{Status: http.StatusInternalServerError, Code: CodeInternal, Message: "internal error"}

// Body is the JSON object Write sends.
type Body struct {
	// Error is Answer.Message.
	Error string `json:"error"`
	// Code is Answer.Code.
	Code string `json:"code"`
}

// Write answers with Of(err): the status, a Retry-After header for a rate
// limit that ends, the WWW-Authenticate challenge of a token refusal (RFC
// 6750 §3, or RFC 9470 §3 for a *stepup.Error), Cache-Control: no-store,
// and a JSON Body. A nil err is
// written as an internal error: a handler calls Write only on failure. It
// returns the Answer written, for the host's log.
func Write(w http.ResponseWriter, err error) Answer {
	a := Of(err)
	if err == nil {
		a = internal
	}
	h := w.Header()
	if a.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(RetryAfterSeconds(a.RetryAfter)))
	}
	if ch := challenge(err); ch != "" {
		h.Set("WWW-Authenticate", ch)
	}
	b, _ := json.Marshal(Body{Error: a.Message, Code: a.Code}) // two strings cannot fail
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(a.Status)
	w.Write(append(b, '\n'))
	return a
}

// challenge is the WWW-Authenticate value for err, "" when it is not a
// token refusal. The rules live with the packages that refuse.
func challenge(err error) string {
	var su *stepup.Error
	if errors.As(err, &su) {
		return su.Challenge()
	}
	return session.MiddlewareConfig{}.Challenge(err)
}

// RetryAfterSeconds is d as the delta-seconds of a Retry-After header
// (RFC 9110 §10.2.3): rounded up, so the caller never retries early, and
// at least 1.
func RetryAfterSeconds(d time.Duration) int {
	s := int(d / time.Second)
	if d%time.Second > 0 {
		s++
	}
	if s < 1 {
		s = 1
	}
	return s
}
