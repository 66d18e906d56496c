package httperr_test

import (
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/authkit/authkit/httperr"
	"github.com/authkit/authkit/verification"
)

// A handler returns the services' errors unchanged; Write answers them.
func ExampleWrite() {
	rec := httptest.NewRecorder()
	err := fmt.Errorf("check: %w", &verification.RateLimitError{RetryAfter: 30 * time.Second})
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
