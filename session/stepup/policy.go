package stepup

import (
	"fmt"
	"slices"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/session"
)

// Action names a sensitive action that a step-up policy guards.
type Action string

// The actions of DefaultRules. Each can add or remove a factor or a
// credential, or reveal or replace a secret, so a stolen session token
// alone must not be enough for it (OWASP ASVS 5.0 §7.5.1, §7.5.3).
const (
	// ActionEnrollFactor adds a second factor: a TOTP device or a passkey.
	ActionEnrollFactor Action = "factor.enroll"
	// ActionLinkCredential links a sign-in credential: an OAuth account,
	// an email address or a phone number.
	ActionLinkCredential Action = "credential.link"
	// ActionRemoveFactor deletes a TOTP device or a passkey.
	ActionRemoveFactor Action = "factor.remove"
	// ActionUnlinkCredential unlinks a sign-in credential.
	ActionUnlinkCredential Action = "credential.unlink"
	// ActionRevealRecoveryCodes shows the recovery codes.
	ActionRevealRecoveryCodes Action = "recovery.reveal"
	// ActionRegenerateRecoveryCodes replaces the recovery codes.
	ActionRegenerateRecoveryCodes Action = "recovery.regenerate"
	// ActionUpdateUser changes the user's profile.
	ActionUpdateUser Action = "user.update"
	// ActionDeleteUser deletes the user.
	ActionDeleteUser Action = "user.delete"
)

// Applies says which users a Rule asks to step up.
type Applies uint8

const (
	// IfSecondFactor asks only users who hold a verified second factor: a
	// user without one has nothing stronger than the session to prove.
	IfSecondFactor Applies = iota
	// Always asks every user.
	Always
)

// Rule is one row of a step-up policy: what proves that the user is
// present for Action beyond holding the session token. When the rule
// applies to the user and the session is not fresh (below), the request
// needs an elevated-access token of the session carrying Scope, or, where
// MFAToken is set, an MFA token.
type Rule struct {
	// Action is the guarded action.
	Action Action
	// Scope is the elevated-access token scope that satisfies the rule,
	// and the scope a step-up check is asked about.
	Scope authkit.Scope
	// Applies says which users must step up.
	Applies Applies
	// MFAToken: an MFA token of the user (and session) also satisfies it.
	MFAToken bool
	// FreshMFA: a session that proved a second factor within the
	// policy's freshness window needs no token at all. Rules that remove
	// a factor or the user leave it false, so that they always need a
	// proof made for the purpose.
	FreshMFA bool
}

// DefaultRules returns the step-up table for Dynamic's routes:
//
//	action               scope              applies         MFA token  fresh MFA
//	factor.enroll        credential:link    if 2nd factor   yes        yes
//	credential.link      credential:link    if 2nd factor   yes        yes
//	factor.remove        credential:unlink  if 2nd factor   yes        no
//	credential.unlink    credential:unlink  if 2nd factor   no         no
//	recovery.reveal      credential:update  always          yes        yes
//	recovery.regenerate  credential:update  always          yes        yes
//	user.update          user:update        if 2nd factor   yes        yes
//	user.delete          user:delete        if 2nd factor   yes        no
//
// Recovery codes are always guarded: they are a second factor themselves,
// so a user without a verified device has none to see.
func DefaultRules() []Rule {
	link, unlink, update := authkit.ScopeCredentialLink, authkit.ScopeCredentialUnlink, authkit.ScopeCredentialUpdate
	return []Rule{
		{Action: ActionEnrollFactor, Scope: link, Applies: IfSecondFactor, MFAToken: true, FreshMFA: true},
		{Action: ActionLinkCredential, Scope: link, Applies: IfSecondFactor, MFAToken: true, FreshMFA: true},
		{Action: ActionRemoveFactor, Scope: unlink, Applies: IfSecondFactor, MFAToken: true},
		{Action: ActionUnlinkCredential, Scope: unlink, Applies: IfSecondFactor},
		{Action: ActionRevealRecoveryCodes, Scope: update, Applies: Always, MFAToken: true, FreshMFA: true},
		{Action: ActionRegenerateRecoveryCodes, Scope: update, Applies: Always, MFAToken: true, FreshMFA: true},
		{Action: ActionUpdateUser, Scope: authkit.ScopeUserUpdate, Applies: IfSecondFactor, MFAToken: true, FreshMFA: true},
		{Action: ActionDeleteUser, Scope: authkit.ScopeUserDelete, Applies: IfSecondFactor, MFAToken: true},
	}
}

// Policy is a validated step-up table: the one place that decides, for a
// scope or an action, whether a session must step up.
type Policy struct {
	rules   map[Action]Rule
	order   []Rule
	byScope map[authkit.Scope]Rule
}

// NewPolicy validates rules: each action once, each scope one of the token
// scopes, and rules sharing a scope agreeing on Applies and FreshMFA. The
// last condition is what makes a step-up check by scope answer for every
// action of that scope.
func NewPolicy(rules []Rule) (*Policy, error) {
	if len(rules) == 0 {
		return nil, fmt.Errorf("%w: a step-up policy needs rules", session.ErrConfig)
	}
	p := &Policy{rules: map[Action]Rule{}, byScope: map[authkit.Scope]Rule{}}
	for _, r := range rules {
		if r.Action == "" {
			return nil, fmt.Errorf("%w: step-up rule without an action", session.ErrConfig)
		}
		if _, dup := p.rules[r.Action]; dup {
			return nil, fmt.Errorf("%w: step-up action %q listed twice", session.ErrConfig, r.Action)
		}
		if !r.Scope.IsTokenScope() {
			return nil, fmt.Errorf("%w: step-up action %q: %q is not a token scope", session.ErrConfig, r.Action, r.Scope)
		}
		if r.Applies > Always {
			return nil, fmt.Errorf("%w: step-up action %q: unknown Applies", session.ErrConfig, r.Action)
		}
		if o, ok := p.byScope[r.Scope]; ok && (o.Applies != r.Applies || o.FreshMFA != r.FreshMFA) {
			return nil, fmt.Errorf("%w: step-up actions %q and %q share scope %q but not Applies and FreshMFA", session.ErrConfig, o.Action, r.Action, r.Scope)
		}
		p.rules[r.Action] = r
		p.byScope[r.Scope] = r
		p.order = append(p.order, r)
	}
	return p, nil
}

// Rules returns the table in the order given to NewPolicy.
func (p *Policy) Rules() []Rule { return slices.Clone(p.order) }

// Rule returns the rule of an action.
func (p *Policy) Rule(a Action) (Rule, bool) {
	r, ok := p.rules[a]
	return r, ok
}

// State is what the policy needs to know about a session.
type State struct {
	// SecondFactor: the user holds a verified second factor.
	SecondFactor bool
	// FreshMFA: the session proved a second factor within the freshness
	// window (session.Claims.FreshMFA).
	FreshMFA bool
}

// Required reports whether a session in state st must present a token
// (elevated with scope, or an MFA token where the action accepts one) for
// the actions of scope. A scope that no rule uses is never required: no
// guarded action needs it. This is the one decision both a step-up check
// and the guard of each action use.
func (p *Policy) Required(scope authkit.Scope, st State) bool {
	r, ok := p.byScope[scope]
	if !ok {
		return false
	}
	return required(r, st)
}

func required(r Rule, st State) bool {
	if r.Applies == IfSecondFactor && !st.SecondFactor {
		return false
	}
	return !(r.FreshMFA && st.FreshMFA)
}
