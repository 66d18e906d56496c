package session

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/authkit/authkit"
)

// StepUpError says which scope an action needs an elevated token for, and
// why the presented one (if any) was refused. errors.Is(err,
// ErrStepUpRequired) holds, and so does errors.Is with the cause.
type StepUpError struct {
	// Scope is the token scope the action requires.
	Scope authkit.Scope
	// Err is why the request's elevated token was refused (ErrNoToken
	// when there was none).
	Err error
	// ACR is the acr_values of the challenge (RFC 9470 §3); "" for none.
	ACR string
	// MaxAge, when positive, is the max_age of the challenge: a second
	// factor proven this recently would have been enough (RFC 9470 §3).
	MaxAge time.Duration
}

// Error describes the refusal without the token.
func (e *StepUpError) Error() string {
	return ErrStepUpRequired.Error() + " for " + string(e.Scope) + ": " + e.Err.Error()
}

// Is makes errors.Is(err, ErrStepUpRequired) true.
func (e *StepUpError) Is(target error) bool { return target == ErrStepUpRequired }

// Unwrap returns the cause.
func (e *StepUpError) Unwrap() error { return e.Err }

// Challenge is the WWW-Authenticate value of the refusal (RFC 9470 §3):
// error="insufficient_user_authentication" with a description, the scope
// the action needs, and acr_values and max_age when known.
func (e *StepUpError) Challenge() string {
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
// single-use token is consumed. Otherwise ErrorHandler gets a
// *StepUpError, by default a 401 with
// `WWW-Authenticate: Bearer error="insufficient_user_authentication"`
// (RFC 9470) naming the scope, so the client knows to step up.
func (cfg MiddlewareConfig) RequireElevated(m *Manager, scope authkit.Scope, header string) func(http.Handler) http.Handler {
	if header == "" {
		header = DefaultElevatedHeader
	}
	onErr := cfg.onError()
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sess, ok := ClaimsFromContext(r.Context())
			if !ok {
				onErr(w, r, ErrNoToken)
				return
			}
			tok := r.Header.Get(header)
			if tok == "" {
				onErr(w, r, &StepUpError{Scope: scope, Err: ErrNoToken})
				return
			}
			c, err := m.VerifyElevated(r.Context(), tok, scope, sess)
			if err != nil {
				if HTTPStatus(err) == http.StatusInternalServerError {
					onErr(w, r, err)
					return
				}
				onErr(w, r, &StepUpError{Scope: scope, Err: err})
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), elevatedKey{}, c)))
		})
	}
}

// Authentication method references (RFC 8176 §2) for UpgradeMFA.
const (
	// AMRMultiFactor ("mfa") marks a session that proved a second factor;
	// UpgradeMFA always adds it, and Claims.FreshMFA looks for it.
	AMRMultiFactor = "mfa"
	// AMROneTimePassword ("otp"): a TOTP code.
	AMROneTimePassword = "otp"
	// AMRKnowledge ("kba"): a recovery code, a secret the user saved.
	AMRKnowledge = "kba"
	// AMRHardwareKey ("hwk"): a passkey or security key.
	AMRHardwareKey = "hwk"
)

// amrFactor is the authentication factor of an RFC 8176 §2 method: 1
// knowledge, 2 possession, 4 inherence; 0 for a method that names none
// (geo, user, mca, mfa, rba, wia, or one not registered).
func amrFactor(m string) uint8 {
	switch m {
	case "pwd", "pin", "kba":
		return 1
	case "hwk", "swk", "sc", "otp", "sms", "tel", "pop":
		return 2
	case "fpt", "face", "iris", "retina", "vbm":
		return 4
	}
	return 0
}

// multiFactor reports whether amr names methods of two different factors.
func multiFactor(amr []string) bool {
	var seen uint8
	for _, m := range amr {
		seen |= amrFactor(m)
	}
	return seen&(seen-1) != 0
}

// maxAMR bounds the amr values a token carries.
const maxAMR = 8

// sessionAMR validates MintOptions.AMR and AuthTime. An MFA-pending
// session carries neither: it has proven nothing beyond the first factor.
func (m *Manager) sessionAMR(opts MintOptions) ([]string, time.Time, error) {
	if opts.MFAPending || (len(opts.AMR) == 0 && opts.AuthTime.IsZero()) {
		return nil, time.Time{}, nil
	}
	if len(opts.AMR) == 0 || len(opts.AMR) > maxAMR || opts.AuthTime.IsZero() {
		return nil, time.Time{}, fmt.Errorf("%w: amr needs 1 to %d values and an auth time", ErrInvalidRequest, maxAMR)
	}
	for _, a := range opts.AMR {
		if a == "" || len(a) > 32 || strings.ContainsAny(a, " \t\r\n\"\\") {
			return nil, time.Time{}, fmt.Errorf("%w: amr value", ErrInvalidRequest)
		}
	}
	if opts.AuthTime.After(m.now().Add(m.cfg.Leeway)) {
		return nil, time.Time{}, fmt.Errorf("%w: auth_time in the future", ErrInvalidRequest)
	}
	amr := slices.Clone(opts.AMR)
	if !slices.Contains(amr, AMRMultiFactor) && multiFactor(amr) {
		amr = append(amr, AMRMultiFactor)
	}
	return amr, opts.AuthTime.Truncate(time.Second), nil
}

// UpgradeMFA is Upgrade for a session whose user has just proven a second
// factor by the methods in amr (RFC 8176 values such as AMROneTimePassword):
// the new tokens carry amr (with AMRMultiFactor added) and auth_time = now,
// so the session counts as fresh (Claims.FreshMFA) for step-up rules that
// accept a recent second factor. The session may be MFA-pending or already
// fully authenticated (a re-authentication).
func (m *Manager) UpgradeMFA(ctx context.Context, session *Claims, user authkit.User, extra authkit.Scopes, amr ...string) (Tokens, error) {
	if session == nil || session.Kind&KindSession == 0 {
		return Tokens{}, fmt.Errorf("%w: UpgradeMFA needs session token claims", errWrongKind)
	}
	if session.Subject != user.ID {
		return Tokens{}, errSessionMismatch
	}
	methods := slices.Clone(amr)
	if !slices.Contains(methods, AMRMultiFactor) {
		methods = append(methods, AMRMultiFactor)
	}
	return m.Mint(ctx, user, MintOptions{
		SessionID:          session.SessionID,
		Audience:           firstAudience(session.Audience),
		Scopes:             upgradeScopes(session, extra),
		SessionPublicKey:   session.SessionPublicKey,
		DevicePublicKey:    session.DevicePublicKey,
		SigninCredentialID: session.SigninCredentialID,
		AMR:                methods,
		AuthTime:           m.now(),
	})
}

// StepUpConfig configures a StepUp guard.
type StepUpConfig struct {
	// Manager verifies elevated-access tokens. Required.
	Manager *Manager
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
	// FreshFor is how long after a second-factor proof (UpgradeMFA) a
	// session is fresh for rules with FreshMFA. Default DefaultFreshFor
	// (5 min); at most one hour.
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

// Proof says what let a request through a StepUp guard.
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

// StepUp enforces a step-up Policy on requests. Required (a step-up check)
// and Authorize (the guard of each action) decide through the same
// Policy.Required, so a check that answers "not required" means the guarded
// route accepts the request without a token.
type StepUp struct {
	m       *Manager
	cfg     StepUpConfig
	policy  *Policy
	fresh   time.Duration
	acr     string
	elevHdr string
	mfaHdr  string
	onErr   func(w http.ResponseWriter, r *http.Request, err error)
}

// NewStepUp validates cfg and returns the guard.
func NewStepUp(cfg StepUpConfig) (*StepUp, error) {
	if cfg.ConsumeMFAToken != nil && cfg.MFATokenInvalid == nil {
		return nil, fmt.Errorf("%w: ConsumeMFAToken needs MFATokenInvalid", ErrConfig)
	}
	if cfg.Manager == nil || cfg.HasSecondFactor == nil {
		return nil, fmt.Errorf("%w: StepUp needs a Manager and HasSecondFactor", ErrConfig)
	}
	rules := cfg.Rules
	if rules == nil {
		rules = DefaultRules()
	}
	p, err := NewPolicy(rules)
	if err != nil {
		return nil, err
	}
	g := &StepUp{m: cfg.Manager, cfg: cfg, policy: p, fresh: cfg.FreshFor, acr: cfg.ACR,
		elevHdr: cfg.ElevatedHeader, mfaHdr: cfg.MFATokenHeader, onErr: cfg.ErrorHandler}
	switch {
	case g.fresh < 0 || g.fresh > time.Hour:
		return nil, fmt.Errorf("%w: FreshFor must be between 0 and 1h", ErrConfig)
	case g.fresh == 0:
		g.fresh = DefaultFreshFor
	}
	if g.acr == "" {
		g.acr = DefaultACR
	} else if strings.ContainsAny(g.acr, "\"\\\r\n") {
		return nil, fmt.Errorf("%w: ACR must not contain quotes or line breaks", ErrConfig)
	}
	if g.elevHdr == "" {
		g.elevHdr = DefaultElevatedHeader
	}
	if g.mfaHdr == "" {
		g.mfaHdr = DefaultMFATokenHeader
	}
	if g.onErr == nil {
		g.onErr = WriteError
	}
	return g, nil
}

// Policy returns the guard's table.
func (g *StepUp) Policy() *Policy { return g.policy }

// FreshFor returns the freshness window.
func (g *StepUp) FreshFor() time.Duration { return g.fresh }

// state gathers what the policy needs about sess for rule r, looking the
// user's factors up only when the rule depends on them. sess must be a
// fully authenticated session: an MFA-pending one is refused.
func (g *StepUp) state(ctx context.Context, sess *Claims, r Rule) (StepUpState, error) {
	if sess == nil {
		return StepUpState{}, ErrNoToken
	}
	if sess.MFAPending() {
		return StepUpState{}, &ScopeError{Required: authkit.ScopeUserBasic}
	}
	var st StepUpState
	if r.Applies == IfSecondFactor {
		has, err := g.cfg.HasSecondFactor(ctx, sess.Subject)
		if err != nil {
			return StepUpState{}, err
		}
		st.SecondFactor = has
	}
	st.FreshMFA = r.FreshMFA && sess.FreshMFA(g.m.now(), g.fresh, g.m.cfg.Leeway)
	return st, nil
}

// Required answers a step-up check (Dynamic's POST stepUp/check): must the
// session sess present a token for the actions needing scope? A scope no
// rule uses is never required. An MFA-pending session gets a *ScopeError.
func (g *StepUp) Required(ctx context.Context, sess *Claims, scope authkit.Scope) (bool, error) {
	r, ok := g.policy.byScope[scope]
	if !ok {
		if sess == nil {
			return false, ErrNoToken
		}
		if sess.MFAPending() {
			return false, &ScopeError{Required: authkit.ScopeUserBasic}
		}
		return false, nil
	}
	st, err := g.state(ctx, sess, r)
	if err != nil {
		return false, err
	}
	return g.policy.Required(scope, st), nil
}

// Authorize enforces action on r, whose session claims Middleware put in
// the context. When the policy requires a step-up, the request must carry
// an elevated-access token of its session with the rule's scope (a
// single-use one is consumed) or, where the rule allows, an MFA token (an
// empty header counts as none). A refusal is a *StepUpError naming the
// scope, with max_age when a fresh second factor would have done; an
// unknown action is ErrConfig; store failures are returned as they are.
func (g *StepUp) Authorize(r *http.Request, action Action) (Proof, error) {
	rule, ok := g.policy.rules[action]
	if !ok {
		return 0, fmt.Errorf("%w: no step-up rule for action %q", ErrConfig, action)
	}
	ctx := r.Context()
	sess, _ := ClaimsFromContext(ctx)
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
	refusal := &StepUpError{Scope: rule.Scope, Err: ErrNoToken, ACR: g.acr}
	if rule.FreshMFA {
		refusal.MaxAge = g.fresh
	}
	if tok := r.Header.Get(g.elevHdr); tok != "" {
		_, err := g.m.VerifyElevated(ctx, tok, rule.Scope, sess)
		if err == nil {
			return ProofElevated, nil
		}
		if HTTPStatus(err) == http.StatusInternalServerError {
			return 0, err
		}
		refusal.Err = err
	}
	if tok := r.Header.Get(g.mfaHdr); rule.MFAToken && tok != "" {
		ok, err := g.useMFAToken(ctx, sess, tok)
		if err != nil {
			return 0, err
		}
		if ok {
			return ProofMFAToken, nil
		}
		refusal.Err = ErrMFATokenInvalid
	}
	return 0, refusal
}

// useMFAToken uses an MFA token of the session's user: false for one the
// host calls invalid, an error when the check failed.
func (g *StepUp) useMFAToken(ctx context.Context, sess *Claims, tok string) (bool, error) {
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

// StepUpProofFromContext returns the Proof that Require recorded.
func StepUpProofFromContext(ctx context.Context) (Proof, bool) {
	p, ok := ctx.Value(proofKey{}).(Proof)
	return p, ok
}

// Require is Authorize as middleware, mounted inside Middleware: a refused
// request goes to the configured ErrorHandler (by default a 401 with the
// RFC 9470 challenge), an accepted one on with its Proof in the context.
func (g *StepUp) Require(action Action) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, err := g.Authorize(r, action)
			if err != nil {
				g.onErr(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), proofKey{}, p)))
		})
	}
}
