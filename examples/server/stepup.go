package main

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/mfa"
	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/session/stepup"
)

// Step-up: the stepup package's policy table decides which routes need
// proof of a recent second factor (an elevated-access token, an MFA token
// or a session that passed MFA moments ago), and POST stepUp/check answers
// from the same table, so "not required" there means the route accepts the
// request without a token.

// The headers Dynamic's client sends the two step-up tokens in.
const (
	elevatedHeader = "x-dyn-elevated-access-token"
	mfaTokenHeader = "x-mfa-auth-token"
)

// newStepUp builds the step-up guard over the server's MFA service.
func (s *server) newStepUp() (*stepup.Guard, error) {
	return stepup.New(stepup.Config{
		Manager:         s.sessions,
		HasSecondFactor: s.hasConfirmedDevice, // a verified TOTP device or a passkey
		ConsumeMFAToken: s.mfa.ConsumeToken,
		MFATokenInvalid: mfa.ErrTokenInvalid,
		ElevatedHeader:  elevatedHeader,
		MFATokenHeader:  mfaTokenHeader,
	})
}

// stepUp guards h with the policy rule of action: h runs only when the
// request's session may perform it.
func (s *server) stepUp(action stepup.Action, h apiHandler) apiHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := s.authorize(w, r, action); err != nil {
			return err
		}
		return h(w, r)
	}
}

// authorize enforces action on r, for handlers that must look at the
// request before spending a single-use token.
func (s *server) authorize(w http.ResponseWriter, r *http.Request, action stepup.Action) error {
	_, err := s.steps.Authorize(r, action)
	return classifyStepUp(w, err)
}

// classifyStepUp maps the guard's refusals: Dynamic's 403 step_up_required
// body, with the RFC 9470 challenge in WWW-Authenticate for clients that
// read it.
func classifyStepUp(w http.ResponseWriter, err error) error {
	var su *stepup.Error
	if errors.As(err, &su) {
		w.Header().Set("WWW-Authenticate", su.Challenge())
		if errors.Is(err, stepup.ErrMFATokenInvalid) {
			// An MFA token was sent and is no good: the code Dynamic's
			// clients know for it.
			return &apiError{Status: http.StatusForbidden, Code: "mfa_token_required", Msg: "A valid x-mfa-auth-token header is required.", cause: err}
		}
		return &apiError{Status: http.StatusForbidden, Code: "step_up_required",
			Msg: "This action needs a recent second factor: an elevated access token with scope " + string(su.Scope) + " or an MFA token.", cause: err}
	}
	if err != nil {
		return classifySession(err)
	}
	return nil
}

// stepUpCredential is StepUpCredential: a way to step up.
type stepUpCredential struct {
	ID     string                   `json:"id"`
	Format authkit.CredentialFormat `json:"format"`
	Type   string                   `json:"type,omitempty"`
	Alias  string                   `json:"alias,omitempty"`
}

// stepUpCheck is POST stepUp/check {scope}: whether the session must step
// up before the actions needing scope, and with which credentials.
func (s *server) stepUpCheck(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Scope string `json:"scope"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	scope := authkit.Scope(body.Scope)
	if !scope.IsStepUpScope() {
		return errUnprocessable("invalid_scopes", "scope must be a token scope other than console:*.", nil)
	}
	ctx := r.Context()
	c := claimsOf(r)
	required, err := s.steps.Required(ctx, c, scope)
	if err != nil {
		return classifySession(err)
	}
	resp := struct {
		IsRequired          bool               `json:"isRequired"`
		Credentials         []stepUpCredential `json:"credentials"`
		DefaultCredentialID string             `json:"defaultCredentialId,omitempty"`
	}{IsRequired: required, Credentials: []stepUpCredential{}}
	if required {
		if resp.Credentials, resp.DefaultCredentialID, err = s.stepUpCredentials(ctx, c); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// stepUpCredentials lists what the user can step up with: the verified MFA
// devices and passkeys of a user who has one (the default device first),
// otherwise the
// sign-in credentials, which re-authenticate by OTP or OAuth.
func (s *server) stepUpCredentials(ctx context.Context, c *session.Claims) ([]stepUpCredential, string, error) {
	devs, err := s.mfa.ListDevices(ctx, c.Subject)
	if err != nil {
		return nil, "", err
	}
	var out []stepUpCredential
	def := ""
	for _, d := range devs {
		if !d.Verified {
			continue
		}
		out = append(out, stepUpCredential{ID: d.ID, Format: authkit.CredentialFormat(d.Type), Type: string(d.Type), Alias: d.Alias})
		if d.Default || def == "" {
			def = d.ID
		}
	}
	pks, err := s.passkeys.List(ctx, c.Subject)
	if err != nil {
		return nil, "", err
	}
	for _, p := range pks {
		out = append(out, stepUpCredential{ID: p.ID, Format: authkit.FormatPasskey, Type: "passkey", Alias: p.Alias})
		if def == "" {
			def = p.ID
		}
	}
	if len(out) > 0 {
		return out, def, nil
	}
	u, err := s.accounts.Get(ctx, c.Subject)
	if err != nil {
		return nil, "", err
	}
	out = []stepUpCredential{}
	for _, vc := range u.VerifiedCredentials {
		switch vc.Format {
		case authkit.FormatEmail, authkit.FormatPhoneNumber, authkit.FormatOAuth:
			if vc.SignInEnabled {
				out = append(out, stepUpCredential{ID: vc.ID, Format: vc.Format})
			}
		}
	}
	def = c.SigninCredentialID
	if def == "" {
		def = c.LastVerifiedCredentialID
	}
	return out, def, nil
}

// authTimeOf is the auth_time of c, zero when absent: a re-issued session
// keeps the time of its last second-factor proof, never a later one.
func authTimeOf(c *session.Claims) time.Time { return c.AuthTime }

// reauthenticates reports whether cred is a credential the user already
// held before this request, which is what makes a verify a
// re-authentication that may earn an elevated token. A credential linked
// by the same request only proves that the requester controls it, which a
// thief holding the session can arrange for an address of their own. It
// reads the user only when scopes were requested.
func (s *server) reauthenticates(ctx context.Context, userID string, cred authkit.VerifiedCredential, scopes []authkit.Scope) (bool, error) {
	if len(scopes) == 0 {
		return false, nil
	}
	_, key, err := s.accounts.Key(cred)
	if err != nil {
		return false, nil // Link refuses it with its own error
	}
	u, err := s.accounts.Get(ctx, userID)
	if err != nil {
		return false, err
	}
	for _, vc := range u.VerifiedCredentials {
		if _, k, err := s.accounts.Key(vc); err == nil && k == key {
			return true, nil
		}
	}
	return false, nil
}
