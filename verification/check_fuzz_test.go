package verification_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/authkit/authkit/verification"
)

// FuzzCheck feeds arbitrary ids and codes to Check: it must never panic,
// must answer with one of the package's errors, and must succeed only for
// the id and code that were sent.
func FuzzCheck(f *testing.F) {
	f.Add("", "")
	f.Add("00000000-0000-4000-8000-000000000000", "123456")
	f.Add("not-a-uuid", "12345")
	f.Add("ZZZZZZZZ-0000-4000-8000-000000000000", "1234567")
	f.Add("00000000-0000-4000-8000-00000000000G", "12345\x00")
	fx := newFixture(f, nil)
	st, err := fx.svc.Start(context.Background(), emailReq("fuzz@example.com"))
	if err != nil {
		f.Fatal(err)
	}
	code := fx.sent.Code(f, "fuzz@example.com")
	f.Add(st.ID, code)
	known := []error{
		verification.ErrInvalidCode, verification.ErrNotFound, verification.ErrWrongCode,
		verification.ErrTooManyAttempts, verification.ErrAlreadyUsed, verification.ErrExpired,
	}
	f.Fuzz(func(t *testing.T, id, c string) {
		_, err := fx.svc.Check(context.Background(), id, c)
		if err == nil {
			digits := strings.Map(func(r rune) rune {
				if r >= '0' && r <= '9' {
					return r
				}
				return -1
			}, c)
			if digits != code {
				t.Fatalf("Check(%q, %q) succeeded; only %q was sent", id, c, code)
			}
			return
		}
		for _, k := range known {
			if errors.Is(err, k) {
				return
			}
		}
		t.Fatalf("Check(%q, %q) = %v: not a package error", id, c, err)
	})
}
