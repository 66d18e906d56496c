// Package stepup asks a signed-in user to prove presence again before a
// sensitive action: adding or removing a factor or a credential, revealing
// or replacing recovery codes, changing or deleting the user. A stolen
// session token alone must not be enough for these (OWASP ASVS 5.0 §7.5).
//
// The rules are data: a [Policy] built from [Rule]s ([DefaultRules] maps
// each [Action] to the elevated-access scope it needs, whether an MFA
// token also satisfies it, and whether a session that passed MFA within
// [DefaultFreshFor] needs no token at all). A [Guard] applies the table:
// [Guard.Required] answers a step-up check for a scope, [Guard.Require]
// guards a route, and both decide by the one rule test behind
// [Policy.Required], so "not required" means the route accepts the request
// without a token. Refusals
// are an [*Error] carrying RFC 9470 §3's challenge ([Error.Challenge]).
//
//	g, err := stepup.New(stepup.Config{
//		Manager:         sessions,                   // a *session.Manager
//		HasSecondFactor: mfaSvc.HasVerifiedDevice,
//		ConsumeMFAToken: mfaSvc.ConsumeToken,
//		MFATokenInvalid: mfa.ErrTokenInvalid,
//	})
//	mux.Handle("POST /users/mfa/register/totp",
//		session.Middleware(sessions, cfg)(g.Require(stepup.ActionEnrollFactor)(enroll)))
//
// Elevated-access tokens themselves are minted and verified by
// session.Manager (MintElevated, VerifyElevated); [RequireElevated] guards
// a route with one directly, without a policy.
package stepup
