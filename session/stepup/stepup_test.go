package stepup_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/internal/race"
	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/session/stepup"
)

// fakeFactors answers StepUpConfig's second-factor questions for users
// and MFA tokens set by the test.
type fakeFactors struct {
	mu      sync.Mutex
	second  map[string]bool
	tokens  map[string]bool // token → single-use
	used    map[string]bool
	failErr error
}

func newFakeFactors() *fakeFactors {
	return &fakeFactors{second: map[string]bool{}, tokens: map[string]bool{}, used: map[string]bool{}}
}

func (f *fakeFactors) HasSecondFactor(_ context.Context, userID string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.second[userID], f.failErr
}

// errFakeToken is the fake's "invalid MFA token".
var errFakeToken = errors.New("fake: invalid MFA token")

func (f *fakeFactors) ConsumeMFAToken(_ context.Context, _, _, token string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failErr != nil {
		return f.failErr
	}
	single, ok := f.tokens[token]
	if !ok || f.used[token] {
		return errFakeToken
	}
	if single {
		f.used[token] = true
	}
	return nil
}

// config is a StepUpConfig over the fake.
func (f *fakeFactors) config(m *session.Manager) stepup.Config {
	return stepup.Config{Manager: m, HasSecondFactor: f.HasSecondFactor, ConsumeMFAToken: f.ConsumeMFAToken, MFATokenInvalid: errFakeToken}
}

func newStepUp(t *testing.T, f *fixture, ff *fakeFactors) *stepup.Guard {
	t.Helper()
	g, err := stepup.New(ff.config(f.m))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// guarded serves Middleware + g.Require(action) around a 204 handler that
// records the proof.
func guarded(f *fixture, g *stepup.Guard, action stepup.Action, proof *stepup.Proof) http.Handler {
	final := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if proof != nil {
			*proof, _ = stepup.ProofFromContext(r.Context())
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return session.Middleware(f.m, session.MiddlewareConfig{})(g.Require(action)(final))
}

func withHeaders(bearerTok string, hdr map[string]string) func(*http.Request) {
	return func(r *http.Request) {
		if bearerTok != "" {
			r.Header.Set("Authorization", "Bearer "+bearerTok)
		}
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
	}
}

func TestNewPolicy(t *testing.T) {
	link := authkit.ScopeCredentialLink
	for _, tc := range []struct {
		name  string
		rules []stepup.Rule
		ok    bool
	}{
		{"default", stepup.DefaultRules(), true},
		{"empty", nil, false},
		{"no action", []stepup.Rule{{Scope: link}}, false},
		{"duplicate action", []stepup.Rule{{Action: "a", Scope: link}, {Action: "a", Scope: link}}, false},
		{"not a token scope", []stepup.Rule{{Action: "a", Scope: authkit.ScopeUserBasic}}, false},
		{"unknown applies", []stepup.Rule{{Action: "a", Scope: link, Applies: 7}}, false},
		{"shared scope, different Applies", []stepup.Rule{{Action: "a", Scope: link}, {Action: "b", Scope: link, Applies: stepup.Always}}, false},
		{"shared scope, different FreshMFA", []stepup.Rule{{Action: "a", Scope: link}, {Action: "b", Scope: link, FreshMFA: true}}, false},
		{"shared scope, different MFAToken", []stepup.Rule{{Action: "a", Scope: link}, {Action: "b", Scope: link, MFAToken: true}}, true},
	} {
		p, err := stepup.NewPolicy(tc.rules)
		if tc.ok != (err == nil) {
			t.Errorf("%s: NewPolicy = %v", tc.name, err)
		}
		if err != nil && !errors.Is(err, session.ErrConfig) {
			t.Errorf("%s: error %v is not ErrConfig", tc.name, err)
		}
		if err == nil && len(p.Rules()) != len(tc.rules) {
			t.Errorf("%s: %d rules", tc.name, len(p.Rules()))
		}
	}
}

func TestPolicyRequired(t *testing.T) {
	p, err := stepup.NewPolicy(stepup.DefaultRules())
	if err != nil {
		t.Fatal(err)
	}
	none, mfa, fresh := stepup.State{}, stepup.State{SecondFactor: true}, stepup.State{SecondFactor: true, FreshMFA: true}
	for _, tc := range []struct {
		scope authkit.Scope
		st    stepup.State
		want  bool
	}{
		{authkit.ScopeCredentialLink, none, false},
		{authkit.ScopeCredentialLink, mfa, true},
		{authkit.ScopeCredentialLink, fresh, false},
		{authkit.ScopeCredentialUnlink, none, false},
		{authkit.ScopeCredentialUnlink, mfa, true},
		{authkit.ScopeCredentialUnlink, fresh, true}, // removal needs a proof made for it
		{authkit.ScopeCredentialUpdate, none, true},  // recovery codes: always guarded
		{authkit.ScopeCredentialUpdate, fresh, false},
		{authkit.ScopeUserUpdate, mfa, true},
		{authkit.ScopeUserUpdate, fresh, false},
		{authkit.ScopeUserDelete, fresh, true},
		{authkit.ScopeUserDelete, none, false},
		{authkit.ScopeWalletSign, mfa, false}, // no rule uses it
	} {
		if got := p.Required(tc.scope, tc.st); got != tc.want {
			t.Errorf("Required(%s, %+v) = %v, want %v", tc.scope, tc.st, got, tc.want)
		}
	}
	if r, ok := p.Rule(stepup.ActionRemoveFactor); !ok || r.Scope != authkit.ScopeCredentialUnlink || !r.MFAToken || r.FreshMFA {
		t.Errorf("Rule(factor.remove) = %+v, %v", r, ok)
	}
	if _, ok := p.Rule("nope"); ok {
		t.Error("Rule of an unknown action")
	}
}

// sessionState is one way a session can stand towards step-up.
type sessionState struct {
	name         string
	secondFactor bool
	mfa          bool          // the session went through UpgradeMFA
	age          time.Duration // time since then
}

var sessionStates = []sessionState{
	{"no second factor", false, false, 0},
	{"no second factor, fresh MFA", false, true, 0},
	{"second factor, no MFA proof", true, false, 0},
	{"second factor, fresh MFA", true, true, time.Minute},
	{"second factor, MFA at the window's edge", true, true, stepup.DefaultFreshFor},
	{"second factor, stale MFA", true, true, stepup.DefaultFreshFor + time.Second},
}

// stateSession mints a session in state st and advances the clock by st.age.
func stateSession(t *testing.T, f *fixture, ff *fakeFactors, st sessionState) session.Tokens {
	t.Helper()
	ctx := t.Context()
	u := testUser(1)
	ff.mu.Lock()
	ff.second[u.ID] = st.secondFactor
	ff.mu.Unlock()
	tok, err := f.m.Mint(ctx, u, session.MintOptions{MFAPending: st.secondFactor})
	if err != nil {
		t.Fatal(err)
	}
	if st.mfa || st.secondFactor {
		// Only an MFA step makes a session of a second-factor user usable;
		// the "no MFA proof" state models tokens minted without amr.
		if st.mfa {
			tok, err = f.m.UpgradeMFA(ctx, tok.Claims, u, nil, authkit.AMROneTimePassword)
		} else {
			tok, err = f.m.Upgrade(ctx, tok.Claims, u, nil)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	f.clk.Advance(st.age)
	return tok
}

// TestStepUpCheckIsRouteRule is the policy's central property: for every
// action of the table and every session state, the step-up check of the
// action's scope answers "required" exactly when the guarded route refuses
// a request carrying no token.
func TestStepUpCheckIsRouteRule(t *testing.T) {
	for _, rule := range stepup.DefaultRules() {
		for _, st := range sessionStates {
			t.Run(string(rule.Action)+"/"+st.name, func(t *testing.T) {
				f := newFixture(t, session.ES256, true)
				ff := newFakeFactors()
				g := newStepUp(t, f, ff)
				tok := stateSession(t, f, ff, st)
				c, err := f.m.Verify(t.Context(), tok.MinifiedJWT, session.KindSession)
				if err != nil {
					t.Fatal(err)
				}
				required, err := g.Required(t.Context(), c, rule.Scope)
				if err != nil {
					t.Fatal(err)
				}
				w := serve(guarded(f, g, rule.Action, nil), bearer(tok.MinifiedJWT))
				accepted := w.Code == http.StatusNoContent
				if required == accepted {
					t.Fatalf("check says required=%v, route answered %d", required, w.Code)
				}
				if accepted {
					return
				}
				ch := w.Header().Get("WWW-Authenticate")
				if w.Code != http.StatusUnauthorized || !strings.Contains(ch, `error="insufficient_user_authentication"`) ||
					!strings.Contains(ch, `scope="`+string(rule.Scope)+`"`) || !strings.Contains(ch, `acr_values="step-up"`) {
					t.Fatalf("refusal %d %q", w.Code, ch)
				}
				if hasMaxAge := strings.Contains(ch, `max_age="300"`); hasMaxAge != rule.FreshMFA {
					t.Fatalf("max_age in %q, rule FreshMFA %v", ch, rule.FreshMFA)
				}
			})
		}
	}
}

func TestStepUpProofs(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t, session.ES256, true)
	ff := newFakeFactors()
	g := newStepUp(t, f, ff)
	tok := stateSession(t, f, ff, sessionState{secondFactor: true})
	other, err := f.m.Mint(ctx, testUserOther(), session.MintOptions{})
	if err != nil {
		t.Fatal(err)
	}
	elevated := func(c *session.Claims, single bool, scopes ...authkit.Scope) string {
		el, _, err := f.m.MintElevated(ctx, c, session.ElevatedOptions{Scopes: scopes, SingleUse: single})
		if err != nil {
			t.Fatal(err)
		}
		return el
	}
	unlinkOnce := elevated(tok.Claims, true, authkit.ScopeCredentialUnlink)
	linkOnce := elevated(tok.Claims, true, authkit.ScopeCredentialLink)
	unlinkMulti := elevated(tok.Claims, false, authkit.ScopeCredentialUnlink)
	othersUnlink := elevated(other.Claims, false, authkit.ScopeCredentialUnlink)
	ff.tokens["mfa-single"], ff.tokens["mfa-multi"] = true, false
	el, mt := stepup.DefaultElevatedHeader, stepup.DefaultMFATokenHeader
	for _, tc := range []struct {
		name   string
		action stepup.Action
		bearer string
		hdr    map[string]string
		status int
		proof  stepup.Proof
	}{
		{"no token", stepup.ActionRemoveFactor, tok.MinifiedJWT, nil, 401, 0},
		{"empty MFA token is none", stepup.ActionRemoveFactor, tok.MinifiedJWT, map[string]string{mt: ""}, 401, 0},
		{"wrong-scope elevated", stepup.ActionRemoveFactor, tok.MinifiedJWT, map[string]string{el: linkOnce}, 401, 0},
		{"wrong-scope token was not burned", stepup.ActionEnrollFactor, tok.MinifiedJWT, map[string]string{el: linkOnce}, 204, stepup.ProofElevated},
		{"single-use elevated", stepup.ActionRemoveFactor, tok.MinifiedJWT, map[string]string{el: unlinkOnce}, 204, stepup.ProofElevated},
		{"single-use elevated again", stepup.ActionRemoveFactor, tok.MinifiedJWT, map[string]string{el: unlinkOnce}, 401, 0},
		{"multi-use elevated", stepup.ActionUnlinkCredential, tok.MinifiedJWT, map[string]string{el: unlinkMulti}, 204, stepup.ProofElevated},
		{"multi-use elevated again", stepup.ActionUnlinkCredential, tok.MinifiedJWT, map[string]string{el: unlinkMulti}, 204, stepup.ProofElevated},
		{"another session's elevated", stepup.ActionRemoveFactor, tok.MinifiedJWT, map[string]string{el: othersUnlink}, 401, 0},
		{"elevated as bearer", stepup.ActionRemoveFactor, unlinkMulti, nil, 401, 0},
		{"MFA token", stepup.ActionRemoveFactor, tok.MinifiedJWT, map[string]string{mt: "mfa-single"}, 204, stepup.ProofMFAToken},
		{"used MFA token", stepup.ActionRemoveFactor, tok.MinifiedJWT, map[string]string{mt: "mfa-single"}, 401, 0},
		{"unknown MFA token", stepup.ActionDeleteUser, tok.MinifiedJWT, map[string]string{mt: "guess"}, 401, 0},
		{"MFA token where the rule takes none", stepup.ActionUnlinkCredential, tok.MinifiedJWT, map[string]string{mt: "mfa-multi"}, 401, 0},
		{"bad elevated, good MFA token", stepup.ActionDeleteUser, tok.MinifiedJWT, map[string]string{el: linkOnce, mt: "mfa-multi"}, 204, stepup.ProofMFAToken},
		{"other user without a second factor", stepup.ActionRemoveFactor, other.MinifiedJWT, nil, 204, stepup.ProofNotRequired},
		{"recovery codes without a second factor", stepup.ActionRevealRecoveryCodes, other.MinifiedJWT, nil, 401, 0},
	} {
		var proof stepup.Proof
		w := serve(guarded(f, g, tc.action, &proof), withHeaders(tc.bearer, tc.hdr))
		if w.Code != tc.status {
			t.Errorf("%s: %d, want %d (%s)", tc.name, w.Code, tc.status, w.Body)
			continue
		}
		if tc.status == 204 && proof != tc.proof {
			t.Errorf("%s: proof %d, want %d", tc.name, proof, tc.proof)
		}
		if tc.status == 401 && tc.bearer == tok.MinifiedJWT && !strings.Contains(w.Body.String(), `"code":"step_up_required"`) {
			t.Errorf("%s: body %s", tc.name, w.Body)
		}
	}
}

func TestStepUpRefusals(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t, session.ES256, true)
	ff := newFakeFactors()
	g := newStepUp(t, f, ff)
	u := testUser(1)
	ff.second[u.ID] = true
	pending, err := f.m.Mint(ctx, u, session.MintOptions{MFAPending: true})
	if err != nil {
		t.Fatal(err)
	}
	// An MFA-pending session reaches no guarded action and gets no answer
	// from the check, even for a user the rule would not ask.
	for _, rule := range stepup.DefaultRules() {
		if w := serve(guarded(f, g, rule.Action, nil), bearer(pending.MinifiedJWT)); w.Code != http.StatusForbidden {
			t.Errorf("%s with an MFA-pending session: %d", rule.Action, w.Code)
		}
		if _, err := g.Required(ctx, pending.Claims, rule.Scope); !errors.Is(err, session.ErrInsufficientScope) {
			t.Errorf("check of %s for an MFA-pending session: %v", rule.Scope, err)
		}
	}
	if _, err := g.Required(ctx, pending.Claims, authkit.ScopeWalletSign); !errors.Is(err, session.ErrInsufficientScope) {
		t.Errorf("check of an unused scope for an MFA-pending session: %v", err)
	}
	if _, err := g.Required(ctx, nil, authkit.ScopeCredentialLink); !errors.Is(err, session.ErrNoToken) {
		t.Errorf("check without a session: %v", err)
	}
	// No session middleware: nothing to step up from.
	bare := g.Require(stepup.ActionEnrollFactor)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	if w := serve(bare, nil); w.Code != http.StatusUnauthorized {
		t.Errorf("no session: %d", w.Code)
	}
	// An action outside the table is a configuration error, not a pass.
	r := withSession(t, f.m, httptest.NewRequest("GET", "/", nil), pending.MinifiedJWT)
	if _, err := g.Authorize(r, "no.such.action"); !errors.Is(err, session.ErrConfig) {
		t.Errorf("unknown action: %v", err)
	}
	// A failing factor lookup is a 500, never a pass.
	full := stateSession(t, f, ff, sessionState{secondFactor: true})
	ff.failErr = errors.New("store down")
	if w := serve(guarded(f, g, stepup.ActionEnrollFactor, nil), bearer(full.MinifiedJWT)); w.Code != http.StatusInternalServerError {
		t.Errorf("factor lookup failure: %d", w.Code)
	}
	for _, cfg := range []stepup.Config{
		{HasSecondFactor: ff.HasSecondFactor},
		{Manager: f.m, HasSecondFactor: ff.HasSecondFactor, ConsumeMFAToken: ff.ConsumeMFAToken},
		{Manager: f.m},
		{Manager: f.m, HasSecondFactor: ff.HasSecondFactor, FreshFor: -time.Second},
		{Manager: f.m, HasSecondFactor: ff.HasSecondFactor, FreshFor: 2 * time.Hour},
		{Manager: f.m, HasSecondFactor: ff.HasSecondFactor, ACR: `a"b`},
		{Manager: f.m, HasSecondFactor: ff.HasSecondFactor, Rules: []stepup.Rule{}},
	} {
		if _, err := stepup.New(cfg); !errors.Is(err, session.ErrConfig) {
			t.Errorf("NewStepUp(%+v) = %v", cfg, err)
		}
	}
}

func TestStepUpChallenge(t *testing.T) {
	e := &stepup.Error{Scope: authkit.ScopeCredentialLink, Err: session.ErrNoToken, ACR: "step-up", MaxAge: 5 * time.Minute}
	const want = `Bearer error="insufficient_user_authentication", error_description="step-up authentication required", scope="credential:link", acr_values="step-up", max_age="300"`
	if got := e.Challenge(); got != want {
		t.Errorf("Challenge() = %q", got)
	}
	if !errors.Is(e, stepup.ErrRequired) || !errors.Is(e, session.ErrNoToken) {
		t.Error("Error sentinels")
	}
	w := httptest.NewRecorder()
	stepup.WriteError(w, nil, fmt.Errorf("wrapped: %w", e))
	if w.Code != 401 || w.Header().Get("WWW-Authenticate") != want || !strings.Contains(w.Body.String(), `"code":"step_up_required"`) {
		t.Errorf("WriteError: %d %q %s", w.Code, w.Header().Get("WWW-Authenticate"), w.Body)
	}
	// Anything else is written as the session middleware writes it.
	w = httptest.NewRecorder()
	stepup.WriteError(w, nil, session.ErrExpired)
	if w.Code != 401 || w.Header().Get("WWW-Authenticate") != `Bearer error="invalid_token"` {
		t.Errorf("WriteError of a session refusal: %d %q", w.Code, w.Header().Get("WWW-Authenticate"))
	}
}

// TestStepUpSingleUseParallel: N requests racing with one single-use
// elevated token through the guard; exactly one gets through.
func TestStepUpSingleUseParallel(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t, session.ES256, true)
	ff := newFakeFactors()
	g := newStepUp(t, f, ff)
	tok := stateSession(t, f, ff, sessionState{secondFactor: true})
	el, _, err := f.m.MintElevated(ctx, tok.Claims, session.ElevatedOptions{Scopes: []authkit.Scope{authkit.ScopeCredentialUnlink}, SingleUse: true})
	if err != nil {
		t.Fatal(err)
	}
	h := guarded(f, g, stepup.ActionRemoveFactor, nil)
	const n = 32
	errs := race.Run(n, func(int) error {
		if w := serve(h, withHeaders(tok.MinifiedJWT, map[string]string{stepup.DefaultElevatedHeader: el})); w.Code != 204 {
			return errors.New(w.Body.String())
		}
		return nil
	})
	wins := 0
	for _, err := range errs {
		if err == nil {
			wins++
		}
	}
	if wins != 1 {
		t.Fatalf("%d of %d parallel uses of a single-use elevated token passed", wins, n)
	}
}
