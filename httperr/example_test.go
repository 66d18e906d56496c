package httperr_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/authkit/authkit/httperr"
	"github.com/authkit/authkit/ratelimit"
	"github.com/authkit/authkit/verification"
)

// A handler returns the services' errors unchanged; Write answers them.
func ExampleWrite() {
	rec := httptest.NewRecorder()
	err := fmt.Errorf("check: %w", &ratelimit.LimitedError{RetryAfter: 30 * time.Second, Err: verification.ErrRateLimited})
	httperr.Write(rec, err)
	fmt.Println(rec.Code, rec.Header().Get("Retry-After"))
	fmt.Print(rec.Body)
	// Output:
	// 429 30
	// {"error":"verification: too many sends to this destination","code":"verification_rate_limited"}
}

// A host with its own body shape reads the Answer.
func ExampleOf() {
	a := httperr.Of(fmt.Errorf("check %s: %w", "v-123", verification.ErrWrongCode))
	fmt.Println(a.Status, a.Code)
	// Output: 422 verification_wrong_code
}

// A host that must keep codes of its own (a wire format its clients
// already read) answers its exceptions first and falls back to Lookup for
// the rest, so a new sentinel still gets a sensible answer.
func ExampleLookup() {
	answer := func(err error) (int, string) {
		if errors.Is(err, verification.ErrWrongCode) {
			return http.StatusBadRequest, "invalid_verification_token" // the host's own code
		}
		if a, ok := httperr.Lookup(err); ok {
			return a.Status, a.Code
		}
		return http.StatusInternalServerError, "unexpected"
	}
	fmt.Println(answer(fmt.Errorf("check: %w", verification.ErrWrongCode)))
	fmt.Println(answer(fmt.Errorf("check: %w", verification.ErrExpired)))
	fmt.Println(answer(errors.New("disk on fire")))
	// Output:
	// 400 invalid_verification_token
	// 422 verification_expired
	// 500 unexpected
}
