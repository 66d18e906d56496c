package main

import (
	"github.com/authkit/authkit/session/stepup"
	"github.com/authkit/authkit/verification"
)

// apiRoutes is the route table of Dynamic's SDK API, under /api/v0/sdk/{env}.
// The per-IP limits sit on the routes that send codes (create), on
// those that check a code or complete a sign-in (signin), and on the
// public OAuth state routes (oauth; initAuth also oauth-states).
func (s *server) apiRoutes() []route {
	sms, email := verification.ChannelSMS, verification.ChannelEmail
	create := func(h apiHandler) apiHandler { return s.limitIP(ipLimitCreate, h) }
	signin := func(h apiHandler) apiHandler { return s.limitIP(ipLimitSignin, s.sameSiteSignIn(h)) }
	oauthState := func(h apiHandler) apiHandler { return s.limitIP(ipLimitOAuth, h) }
	newOAuthState := func(h apiHandler) apiHandler { return oauthState(s.limitIP(ipLimitOAuthStates, h)) }
	var codes []route
	if s.codes != nil { // nil when no code sender is configured (-oidc only)
		codes = []route{
			{"POST", "/smsVerifications/create", authNone, create(s.smsCreate)},
			{"POST", "/smsVerifications/retry", authNone, create(s.smsRetry)},
			{"POST", "/smsVerifications/signin", authNone, signin(s.deviceBound(s.codeSignin(sms)))},
			{"POST", "/smsVerifications/verify", authBasic, signin(s.deviceBound(s.stepUp(stepup.ActionLinkCredential, s.codeVerify(sms))))},
			{"POST", "/emailVerifications/create", authNone, create(s.emailCreate)},
			{"POST", "/emailVerifications/retry", authNone, create(s.emailRetry)},
			{"POST", "/emailVerifications/signin", authNone, signin(s.deviceBound(s.codeSignin(email)))},
			{"POST", "/emailVerifications/verify", authBasic, signin(s.deviceBound(s.stepUp(stepup.ActionLinkCredential, s.codeVerify(email))))},
		}
	}
	return append(codes, []route{
		{"GET", "/settings", authNone, s.settings},
		{"GET", "/nonces", authNone, s.limitIP(ipLimitCreate, s.nonces)},
		{"GET", "/nonce", authNone, s.limitIP(ipLimitCreate, s.nonce)},

		{"GET", "/users/mfa", authBasic, s.mfaList},
		{"GET", "/users/mfa/methods", authBasic, s.mfaMethods},
		{"GET", "/users/mfa/{id}", authBasic, s.mfaGet},
		{"PUT", "/users/mfa/{id}", authBasic, s.mfaPut},
		{"DELETE", "/users/mfa/{id}", authBasic, s.mfaDelete},
		{"GET", "/users/mfa/register/totp", authBasic, s.stepUp(stepup.ActionEnrollFactor, s.mfaRegisterStart)},
		{"POST", "/users/mfa/register/totp", authBasic, s.stepUp(stepup.ActionEnrollFactor, s.mfaRegisterConfirm)},
		{"POST", "/users/mfa/auth/totp", authAny, signin(s.mfaAuthTOTP)},
		{"POST", "/users/mfa/auth/recovery", authAny, signin(s.mfaAuthRecovery)},
		{"POST", "/users/mfa/auth/email", authAny, signin(s.mfaAuthEmail)},
		{"GET", "/users/mfa/register/passkey", authBasic, s.mfaRegisterPasskeyStart},
		{"POST", "/users/mfa/register/passkey", authBasic, s.stepUp(stepup.ActionEnrollFactor, s.mfaRegisterPasskey)},
		{"POST", "/users/mfa/auth/passkey", authAny, signin(s.mfaAuthPasskey)},
		{"GET", "/users/mfa/recovery", authBasic, s.mfaRecoveryGet},
		{"POST", "/users/mfa/recovery", authBasic, s.mfaRecoveryRegenerate},

		{"GET", "/users/passkeys", authBasic, s.passkeyList},
		{"PUT", "/users/passkeys", authBasic, s.passkeyRename},
		{"DELETE", "/users/passkeys", authBasic, s.passkeyDelete}, // step-up inside, after the id is checked
		{"GET", "/users/passkeys/register", authBasic, s.passkeyRegisterOptions},
		{"POST", "/users/passkeys/register", authBasic, s.stepUp(stepup.ActionEnrollFactor, s.passkeyRegister)},
		{"GET", "/users/passkeys/signin", authNone, create(s.passkeySignInOptions)},
		{"POST", "/users/passkeys/signin", authNone, signin(s.passkeySignIn)},
		{"GET", "/users/passkeys/authenticate", authAny, s.passkeyAuthOptions},

		{"GET", "/users", authBasic, s.usersGet},
		{"PUT", "/users", authBasic, s.stepUp(stepup.ActionUpdateUser, s.usersPut)},
		{"DELETE", "/users", authBasic, s.stepUp(stepup.ActionDeleteUser, s.usersDelete)},
		{"POST", "/verify/unlink", authBasic, s.stepUp(stepup.ActionUnlinkCredential, s.verifyUnlink)},
		{"POST", "/stepUp/check", authBasic, s.stepUpCheck},

		{"POST", "/providers/{type}/initAuth", authNone, newOAuthState(s.oauthInitAuth)},
		{"GET", "/providers/{type}/loginUrl", authNone, oauthState(s.oauthLoginURL)},
		{"GET", "/providers/{type}/login", authNone, oauthState(s.oauthLogin)},
		{"GET", "/providers/{type}/redirect", authNone, oauthState(s.oauthRedirect)},
		{"POST", "/providers/{type}/redirect", authNone, oauthState(s.oauthRedirect)},
		{"POST", "/providers/{type}/oauthResult", authNone, oauthState(s.oauthResult)},
		{"POST", "/providers/{type}/signIn", authNone, signin(s.deviceBound(s.oauthSignIn))},
		{"POST", "/providers/{type}/verify", authBasic, signin(s.stepUp(stepup.ActionLinkCredential, s.oauthVerify))},

		// refresh authenticates itself: a superseded token must reach
		// Refresh's reuse detection, which the middleware would refuse.
		{"POST", "/refresh", authNone, s.deviceBound(s.refresh)},
		{"GET", "/deviceRegistrations", authBasic, s.deviceRegistrationsList},
		{"DELETE", "/deviceRegistrations/{id}", authBasic, s.deviceRegistrationRevoke},
		{"DELETE", "/deviceRegistrations", authBasic, s.deviceRegistrationsRevokeOthers},
		{"POST", "/revoke", authAny, s.revoke},
		{"GET", "/session", authAny, s.sessionCheck},
		{"GET", "/.well-known/jwks", authNone, s.jwks},
		{"GET", "/.well-known/jwks.json", authNone, s.jwks},
	}...)
}
