package mfa_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/authkit/authkit/mfa"
	"github.com/authkit/authkit/ratelimit"
)

// Wrong recovery codes are limited per user: after MaxAttempts (5) in a
// FailureWindow (5 min) every attempt is refused, a right code included. A
// malformed code cannot be right and is not counted; a new set does not
// clear the count; ResetFailures, from a support path, does.
func ExampleService_AuthenticateRecovery() {
	ctx := context.Background()
	now := time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC)
	svc := newService(func() time.Time { return now })
	codes, err := svc.RecoveryCodes(ctx, "user-1")
	if err != nil {
		log.Fatal(err)
	}

	_, err = svc.AuthenticateRecovery(ctx, "user-1", "not a code")
	fmt.Println("malformed:", errors.Is(err, mfa.ErrInvalidRecoveryCode))
	for range 5 {
		_, err = svc.AuthenticateRecovery(ctx, "user-1", "AAAA-AAAA-AAAA-AAAA")
	}
	fmt.Println("fifth wrong code:", errors.Is(err, mfa.ErrInvalidRecoveryCode))

	_, err = svc.AuthenticateRecovery(ctx, "user-1", codes[0])
	var limited *ratelimit.LimitedError
	if errors.As(err, &limited) {
		fmt.Println("right code refused:", errors.Is(err, mfa.ErrRateLimited), "retry after", limited.RetryAfter)
	}

	codes, _ = svc.RegenerateRecoveryCodes(ctx, "user-1")
	_, err = svc.AuthenticateRecovery(ctx, "user-1", codes[0])
	fmt.Println("new set, still refused:", errors.Is(err, mfa.ErrRateLimited))

	_ = svc.ResetFailures(ctx, "user-1")
	remaining, err := svc.AuthenticateRecovery(ctx, "user-1", codes[0])
	fmt.Println("after ResetFailures:", remaining, err)
	// Output:
	// malformed: true
	// fifth wrong code: true
	// right code refused: true retry after 5m0s
	// new set, still refused: true
	// after ResetFailures: 9 <nil>
}
