package postgres_test

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authkit/authkit/mfa"
	"github.com/authkit/authkit/mfa/mfatest"
	"github.com/authkit/authkit/oauth"
	"github.com/authkit/authkit/oauth/oauthtest"
	"github.com/authkit/authkit/ratelimit"
	"github.com/authkit/authkit/ratelimit/ratelimittest"
	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/session/sessiontest"
	"github.com/authkit/authkit/store/postgres"
	"github.com/authkit/authkit/verification"
	"github.com/authkit/authkit/verification/verificationtest"
)

// Each suite runs in its own schema; its subtests share the tables, which
// the suites allow (they use fresh ids throughout).

// onPool is a fresh Store on pool: the tables are shared, the limiter
// names handed out (Store.Limiter's rule check) are not, as the suites
// expect of a new store.
func onPool(t *testing.T, pool *pgxpool.Pool) *postgres.Store {
	t.Helper()
	s, err := postgres.New(pool, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerificationStore(t *testing.T) {
	_, pool := newStore(t, postgres.Options{})
	verificationtest.RunStoreTests(t, func(t *testing.T) verification.Store { return onPool(t, pool).Verifications() })
}

func TestMFAStore(t *testing.T) {
	_, pool := newStore(t, postgres.Options{})
	mfatest.RunStoreTests(t, func(t *testing.T) mfa.Store { return onPool(t, pool).MFA() })
}

func TestSessionStore(t *testing.T) {
	s, _ := newStore(t, postgres.Options{})
	sessiontest.RunStoreTests(t, func(*testing.T) session.Store { return s.Sessions() })
}

func TestOAuthStateStore(t *testing.T) {
	s, _ := newStore(t, postgres.Options{})
	oauthtest.RunStoreTests(t, func(*testing.T) oauth.Store { return s.OAuthStates() })
}

func TestLimiter(t *testing.T) {
	_, pool := newStore(t, postgres.Options{})
	ratelimittest.RunLimiterTests(t, func(t *testing.T, rule ratelimit.Rule, now func() time.Time) ratelimit.Counter {
		// A Store is cheap: one per limiter carries the suite's clock, and
		// a fresh name gives the limiter keys of its own.
		s, err := postgres.New(pool, postgres.Options{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		l, err := s.Limiter(ratelimit.LimiterConfig{Name: "suite-" + randomHex(t, 8), Rule: rule})
		if err != nil {
			t.Fatal(err)
		}
		return l
	})
}
