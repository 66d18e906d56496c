package session

import (
	"context"
	"errors"
	"net/http"

	"github.com/authkit/authkit"
)

// DefaultElevatedHeader is the request header RequireElevated reads the
// elevated-access token from. Dynamic does not document one; this name is
// our choice.
const DefaultElevatedHeader = "X-Elevated-Access-Token"

// ErrStepUpRequired: the action needs a valid elevated-access token and the
// request has none, or one that is expired, used, for another session or
// another scope. The cause is wrapped in a *StepUpError.
var ErrStepUpRequired = errors.New("session: step-up authentication required")

// StepUpError says which scope an action needs an elevated token for, and
// why the presented one (if any) was refused. errors.Is(err,
// ErrStepUpRequired) holds, and so does errors.Is with the cause.
type StepUpError struct {
	// Scope is the token scope the action requires.
	Scope authkit.Scope
	// Err is why the request's elevated token was refused (ErrNoToken
	// when there was none).
	Err error
}

// Error describes the refusal without the token.
func (e *StepUpError) Error() string {
	return ErrStepUpRequired.Error() + " for " + string(e.Scope) + ": " + e.Err.Error()
}

// Is makes errors.Is(err, ErrStepUpRequired) true.
func (e *StepUpError) Is(target error) bool { return target == ErrStepUpRequired }

// Unwrap returns the cause.
func (e *StepUpError) Unwrap() error { return e.Err }

type elevatedKey struct{}

// ElevatedClaimsFromContext returns the elevated token's claims that
// RequireElevated stored in ctx.
func ElevatedClaimsFromContext(ctx context.Context) (*Claims, bool) {
	c, ok := ctx.Value(elevatedKey{}).(*Claims)
	return c, ok && c != nil
}

// RequireElevated protects a sensitive action: the request must carry, in
// header (default DefaultElevatedHeader), an elevated-access token of the
// request's own session (Middleware must run first) with scope. A
// single-use token is consumed. Otherwise the answer is 401 with
// `WWW-Authenticate: Bearer error="insufficient_user_authentication"`
// (RFC 9470) naming the scope, so the client knows to step up.
func RequireElevated(m *Manager, scope authkit.Scope, header string) func(http.Handler) http.Handler {
	if header == "" {
		header = DefaultElevatedHeader
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sess, ok := ClaimsFromContext(r.Context())
			if !ok {
				WriteError(w, r, ErrNoToken)
				return
			}
			tok := r.Header.Get(header)
			if tok == "" {
				WriteError(w, r, &StepUpError{Scope: scope, Err: ErrNoToken})
				return
			}
			c, err := m.VerifyElevated(r.Context(), tok, scope, sess)
			if err != nil {
				if HTTPStatus(err) == http.StatusInternalServerError {
					WriteError(w, r, err)
					return
				}
				WriteError(w, r, &StepUpError{Scope: scope, Err: err})
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), elevatedKey{}, c)))
		})
	}
}
