package stepup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/session"
)

// The defaults: a zero field of Config takes the value here.
const (
	// DefaultElevatedHeader is the request header an elevated-access token
	// is read from (Config.ElevatedHeader, RequireElevated). Dynamic does
	// not document one; this name is our choice.
	DefaultElevatedHeader = "X-Elevated-Access-Token"
	// DefaultMFATokenHeader is the request header an MFA token is read
	// from (Dynamic's x-mfa-auth-token).
	DefaultMFATokenHeader = "X-Mfa-Auth-Token"
	// DefaultACR is the acr_values of the challenge: an authentication
	// context meaning "stepped up for this action". RFC 9470 §3 leaves the
	// values to the deployment.
	DefaultACR = "step-up"
	// DefaultFreshFor is how long after a second-factor proof a session
	// counts as fresh for the rules with FreshMFA: 5 minutes, the
	// lifetime of a single-use elevated token.
	DefaultFreshFor = 5 * time.Minute
)

var (
	// ErrRequired: the action needs a valid elevated-access token and the
	// request has none, or one that is expired, used, for another session
	// or another scope. The cause is wrapped in an *Error.
	ErrRequired = errors.New("stepup: step-up authentication required")
	// ErrMFATokenInvalid: the request's MFA token is unknown, expired,
	// used or another user's. It is the cause of an *Error.
	ErrMFATokenInvalid = errors.New("stepup: invalid MFA token")
)

// Error says which scope an action needs an elevated token for, and why
// the presented one (if any) was refused. errors.Is(err, ErrRequired)
// holds, and so does errors.Is with the cause.
type Error struct {
	// Scope is the token scope the action requires.
	Scope authkit.Scope
	// Err is why the request's elevated token was refused
	// (session.ErrNoToken when there was none).
	Err error
	// ACR is the acr_values of the challenge (RFC 9470 §3); "" for none.
	ACR string
	// MaxAge, when positive, is the max_age of the challenge: a second
	// factor proven this recently would have been enough (RFC 9470 §3).
	MaxAge time.Duration
}

// Error describes the refusal without the token.
func (e *Error) Error() string {
	return ErrRequired.Error() + " for " + string(e.Scope) + ": " + e.Err.Error()
}

// Is makes errors.Is(err, ErrRequired) true.
func (e *Error) Is(target error) bool { return target == ErrRequired }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Challenge is the WWW-Authenticate value of the refusal (RFC 9470 §3):
// error="insufficient_user_authentication" with a description, the scope
// the action needs, and acr_values and max_age when known.
func (e *Error) Challenge() string {
	var b strings.Builder
	b.WriteString(`Bearer error="insufficient_user_authentication", error_description="step-up authentication required"`)
	if e.Scope != "" {
		b.WriteString(`, scope="` + string(e.Scope) + `"`)
	}
	if e.ACR != "" {
		b.WriteString(`, acr_values="` + e.ACR + `"`)
	}
	if e.MaxAge > 0 {
		b.WriteString(`, max_age="` + strconv.FormatInt(int64(e.MaxAge/time.Second), 10) + `"`)
	}
	return b.String()
}

// WriteError is the default refusal of Guard.Require and RequireElevated:
// an *Error is a 401 with its RFC 9470 challenge and the JSON body
// {"error": message, "code": "step_up_required"}; any other error is
// written as session's middleware writes it (RFC 6750 §3).
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	var su *Error
	if !errors.As(err, &su) {
		session.MiddlewareConfig{}.WriteError(w, r, err)
		return
	}
	w.Header().Set("WWW-Authenticate", su.Challenge())
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusUnauthorized)
	_ = json.NewEncoder(w).Encode(struct {
		Error string `json:"error"`
		Code  string `json:"code"`
	}{err.Error(), "step_up_required"})
}

// refusal reports whether err from VerifyElevated refuses the token (a
// client error the challenge answers) rather than failing the check (a
// store outage, which must not pass for a missing step-up).
func refusal(err error) bool {
	return errors.Is(err, session.ErrInvalidToken) || errors.Is(err, session.ErrInsufficientScope)
}

type elevatedKey struct{}

// ElevatedClaimsFromContext returns the elevated token's claims that
// RequireElevated stored in ctx.
func ElevatedClaimsFromContext(ctx context.Context) (*session.Claims, bool) {
	c, ok := ctx.Value(elevatedKey{}).(*session.Claims)
	return c, ok && c != nil
}

// RequireElevated protects a sensitive action without a policy: the
// request must carry, in header (default DefaultElevatedHeader), an
// elevated-access token of the request's own session (session.Middleware
// must run first) with scope. A single-use token is consumed. Otherwise
// onErr (default WriteError) gets an *Error, a 401 with
// `WWW-Authenticate: Bearer error="insufficient_user_authentication"`
// (RFC 9470 §3) naming the scope, so the client knows to step up.
func RequireElevated(m *session.Manager, scope authkit.Scope, header string, onErr func(http.ResponseWriter, *http.Request, error)) func(http.Handler) http.Handler {
	if header == "" {
		header = DefaultElevatedHeader
	}
	if onErr == nil {
		onErr = WriteError
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sess, ok := session.ClaimsFromContext(r.Context())
			if !ok {
				onErr(w, r, session.ErrNoToken)
				return
			}
			tok := r.Header.Get(header)
			if tok == "" {
				onErr(w, r, &Error{Scope: scope, Err: session.ErrNoToken})
				return
			}
			c, err := m.VerifyElevated(r.Context(), tok, scope, sess)
			if err != nil {
				if refusal(err) {
					err = &Error{Scope: scope, Err: err}
				}
				onErr(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), elevatedKey{}, c)))
		})
	}
}

// Config configures a Guard.
type Config struct {
	// Manager verifies elevated-access tokens. Required.
	Manager *session.Manager
	// HasSecondFactor reports whether the user holds a verified second
	// factor (TOTP device, passkey): mfa.Service.HasVerifiedDevice, or a
	// function that also looks at passkeys. Required.
	HasSecondFactor func(ctx context.Context, userID string) (bool, error)
	// ConsumeMFAToken checks an MFA token of the user, bound to sessionID
	// or to no session, and uses it up if it is single-use:
	// mfa.Service.ConsumeToken. Nil: MFA tokens are never accepted.
	ConsumeMFAToken func(ctx context.Context, userID, sessionID, token string) error
	// MFATokenInvalid is the error ConsumeMFAToken returns for a token
	// that is unknown, expired, used or another user's (mfa.ErrTokenInvalid):
	// the request is refused with ErrMFATokenInvalid. Any other error is a
	// failed check and is returned as it is. Required with ConsumeMFAToken.
	MFATokenInvalid error
	// Rules is the policy table. Default DefaultRules().
	Rules []Rule
	// FreshFor is how long after a second-factor proof
	// (session.Manager.UpgradeMFA) a session is fresh for rules with
	// FreshMFA. Default DefaultFreshFor (5 min); at most one hour.
	FreshFor time.Duration
	// ACR is the challenge's acr_values. Default DefaultACR.
	ACR string
	// ElevatedHeader carries the elevated-access token. Default
	// DefaultElevatedHeader.
	ElevatedHeader string
	// MFATokenHeader carries the MFA token. Default DefaultMFATokenHeader.
	MFATokenHeader string
	// ErrorHandler writes refusals of Require. Default WriteError (RFC 9470
	// challenge, 401).
	ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)
}

// Proof says what let a request through a Guard.
type Proof uint8

// Proofs.
const (
	// ProofNotRequired: the rule does not apply to this user.
	ProofNotRequired Proof = iota
	// ProofFreshMFA: the session proved a second factor recently enough.
	ProofFreshMFA
	// ProofElevated: an elevated-access token with the rule's scope.
	ProofElevated
	// ProofMFAToken: an MFA token.
	ProofMFAToken
)

// Guard enforces a step-up Policy on requests. Required (a step-up check)
// and Authorize (the guard of each action) decide by the one rule test
// behind Policy.Required, so a check that answers "not required" means the
// guarded route accepts the request without a token.
type Guard struct {
	cfg    Config // defaults filled in
	now    func() time.Time
	leeway time.Duration
	policy *Policy
}

// New validates cfg and returns the guard.
func New(cfg Config) (*Guard, error) {
	if cfg.ConsumeMFAToken != nil && cfg.MFATokenInvalid == nil {
		return nil, fmt.Errorf("%w: ConsumeMFAToken needs MFATokenInvalid", session.ErrConfig)
	}
	if cfg.Manager == nil || cfg.HasSecondFactor == nil {
		return nil, fmt.Errorf("%w: a step-up guard needs a Manager and HasSecondFactor", session.ErrConfig)
	}
	rules := cfg.Rules
	if rules == nil {
		rules = DefaultRules()
	}
	p, err := NewPolicy(rules)
	if err != nil {
		return nil, err
	}
	switch {
	case cfg.FreshFor < 0 || cfg.FreshFor > time.Hour:
		return nil, fmt.Errorf("%w: FreshFor must be between 0 and 1h", session.ErrConfig)
	case cfg.FreshFor == 0:
		cfg.FreshFor = DefaultFreshFor
	}
	if cfg.ACR == "" {
		cfg.ACR = DefaultACR
	} else if strings.ContainsAny(cfg.ACR, "\"\\\r\n") {
		return nil, fmt.Errorf("%w: ACR must not contain quotes or line breaks", session.ErrConfig)
	}
	if cfg.ElevatedHeader == "" {
		cfg.ElevatedHeader = DefaultElevatedHeader
	}
	if cfg.MFATokenHeader == "" {
		cfg.MFATokenHeader = DefaultMFATokenHeader
	}
	if cfg.ErrorHandler == nil {
		cfg.ErrorHandler = WriteError
	}
	mc := cfg.Manager.Config()
	return &Guard{cfg: cfg, now: mc.Now, leeway: mc.Leeway, policy: p}, nil
}

// Policy returns the guard's table.
func (g *Guard) Policy() *Policy { return g.policy }

// FreshFor returns the freshness window.
func (g *Guard) FreshFor() time.Duration { return g.cfg.FreshFor }

// checkSession refuses a missing session and an MFA-pending one (it
// lacks user:basic).
func checkSession(sess *session.Claims) error {
	switch {
	case sess == nil:
		return session.ErrNoToken
	case sess.MFAPending():
		return pendingError{}
	}
	return nil
}

// pendingError matches session.ErrInsufficientScope and names the scope
// missing, as session's own scope refusals do, so the default answer is
// 403 with `WWW-Authenticate: Bearer error="insufficient_scope",
// scope="user:basic"` (RFC 6750 §3).
type pendingError struct{}

// Error names the missing scope.
func (pendingError) Error() string {
	return session.ErrInsufficientScope.Error() + ": requires " + string(authkit.ScopeUserBasic)
}

// Is makes errors.Is(err, session.ErrInsufficientScope) true.
func (pendingError) Is(target error) bool { return target == session.ErrInsufficientScope }

// RequiredScope is the scope an MFA-pending session lacks, for the
// WWW-Authenticate scope parameter (RFC 6750 §3).
func (pendingError) RequiredScope() authkit.Scope { return authkit.ScopeUserBasic }

// state gathers what the policy needs about sess for rule r, looking the
// user's factors up only when the rule depends on them. sess must be a
// fully authenticated session: an MFA-pending one is refused.
func (g *Guard) state(ctx context.Context, sess *session.Claims, r Rule) (State, error) {
	if err := checkSession(sess); err != nil {
		return State{}, err
	}
	var st State
	if r.Applies == IfSecondFactor {
		has, err := g.cfg.HasSecondFactor(ctx, sess.Subject)
		if err != nil {
			return State{}, err
		}
		st.SecondFactor = has
	}
	st.FreshMFA = r.FreshMFA && sess.FreshMFA(g.now(), g.cfg.FreshFor, g.leeway)
	return st, nil
}

// Required answers a step-up check (Dynamic's POST stepUp/check): must the
// session sess present a token for the actions needing scope? A scope no
// rule uses is never required. An MFA-pending session gets
// session.ErrInsufficientScope.
func (g *Guard) Required(ctx context.Context, sess *session.Claims, scope authkit.Scope) (bool, error) {
	r, ok := g.policy.byScope[scope]
	if !ok {
		return false, checkSession(sess)
	}
	st, err := g.state(ctx, sess, r)
	if err != nil {
		return false, err
	}
	return required(r, st), nil
}

// Authorize enforces action on r, whose session claims session.Middleware
// put in the context. When the policy requires a step-up, the request must
// carry an elevated-access token of its session with the rule's scope (a
// single-use one is consumed) or, where the rule allows, an MFA token (an
// empty header counts as none). A refusal is an *Error naming the scope,
// with max_age when a fresh second factor would have done; an unknown
// action is session.ErrConfig; store failures are returned as they are.
func (g *Guard) Authorize(r *http.Request, action Action) (Proof, error) {
	rule, ok := g.policy.rules[action]
	if !ok {
		return 0, fmt.Errorf("%w: no step-up rule for action %q", session.ErrConfig, action)
	}
	ctx := r.Context()
	sess, _ := session.ClaimsFromContext(ctx)
	st, err := g.state(ctx, sess, rule)
	if err != nil {
		return 0, err
	}
	if !required(rule, st) {
		if st.FreshMFA {
			return ProofFreshMFA, nil
		}
		return ProofNotRequired, nil
	}
	refused := &Error{Scope: rule.Scope, Err: session.ErrNoToken, ACR: g.cfg.ACR}
	if rule.FreshMFA {
		refused.MaxAge = g.cfg.FreshFor
	}
	if tok := r.Header.Get(g.cfg.ElevatedHeader); tok != "" {
		_, err := g.cfg.Manager.VerifyElevated(ctx, tok, rule.Scope, sess)
		if err == nil {
			return ProofElevated, nil
		}
		if !refusal(err) {
			return 0, err
		}
		refused.Err = err
	}
	if tok := r.Header.Get(g.cfg.MFATokenHeader); rule.MFAToken && tok != "" {
		ok, err := g.useMFAToken(ctx, sess, tok)
		if err != nil {
			return 0, err
		}
		if ok {
			return ProofMFAToken, nil
		}
		refused.Err = ErrMFATokenInvalid
	}
	return 0, refused
}

// useMFAToken uses an MFA token of the session's user: false for one the
// host calls invalid, an error when the check failed.
func (g *Guard) useMFAToken(ctx context.Context, sess *session.Claims, tok string) (bool, error) {
	if g.cfg.ConsumeMFAToken == nil {
		return false, nil
	}
	err := g.cfg.ConsumeMFAToken(ctx, sess.Subject, sess.SessionID, tok)
	if errors.Is(err, g.cfg.MFATokenInvalid) {
		return false, nil
	}
	return err == nil, err
}

type proofKey struct{}

// ProofFromContext returns the Proof that Require recorded.
func ProofFromContext(ctx context.Context) (Proof, bool) {
	p, ok := ctx.Value(proofKey{}).(Proof)
	return p, ok
}

// Require is Authorize as middleware, mounted inside session.Middleware: a
// refused request goes to the configured ErrorHandler (by default a 401
// with the RFC 9470 challenge), an accepted one on with its Proof in the
// context.
func (g *Guard) Require(action Action) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, err := g.Authorize(r, action)
			if err != nil {
				g.cfg.ErrorHandler(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), proofKey{}, p)))
		})
	}
}
