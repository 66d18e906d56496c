package redis

import (
	"testing"
	"time"

	"github.com/authkit/authkit/mfa"
	"github.com/authkit/authkit/mfa/mfatest"
	"github.com/authkit/authkit/oauth"
	"github.com/authkit/authkit/oauth/oauthtest"
	"github.com/authkit/authkit/ratelimit"
	"github.com/authkit/authkit/ratelimit/ratelimittest"
	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/session/sessiontest"
	"github.com/authkit/authkit/verification"
	"github.com/authkit/authkit/verification/verificationtest"
)

// The conformance suites of every store interface, unchanged, against the
// real server; each subtest gets a store under its own random prefix.

func TestVerificationConformance(t *testing.T) {
	verificationtest.RunStoreTests(t, func(t *testing.T) verification.Store { return newTestStore(t).Verifications() })
}

func TestMFAConformance(t *testing.T) {
	mfatest.RunStoreTests(t, func(t *testing.T) mfa.Store { return newTestStore(t).MFA() })
}

func TestSessionConformance(t *testing.T) {
	sessiontest.RunStoreTests(t, func(t *testing.T) session.Store { return newTestStore(t).Sessions() })
}

func TestOAuthStateConformance(t *testing.T) {
	oauthtest.RunStoreTests(t, func(t *testing.T) oauth.Store { return newTestStore(t).OAuthStates() })
}

func TestLimiterConformance(t *testing.T) {
	ratelimittest.RunLimiterTests(t, func(t *testing.T, rule ratelimit.Rule, now func() time.Time) ratelimit.Limiter {
		l, err := newTestStore(t).Limiter(LimiterConfig{Name: "test", Rule: rule, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		return l
	})
}
