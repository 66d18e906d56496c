package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/passkey"
	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/session/stepup"
)

// The passkey routes: registration (users/passkeys/register, and the
// MFA-device form users/mfa/register/passkey), sign-in
// (users/passkeys/signin), passkeys as the second factor
// (users/passkeys/authenticate, users/mfa/auth/passkey) and management
// (users/passkeys: list, rename, delete).

// buildPasskeys composes the passkey service: the relying party from
// -rp-id/-rp-origin (by default the issuer's host and origin), the user
// directory deciding whether a passkey is the last way to sign in.
func (s *server) buildPasskeys() error {
	rp, err := s.relyingParty()
	if err != nil {
		return err
	}
	var related []passkey.RelyingParty
	for _, spec := range s.cfg.RPRelated {
		id, origins, ok := strings.Cut(spec, "=")
		if !ok || id == "" || origins == "" {
			return fmt.Errorf("-rp-related %q: want id=origin[,origin…]", spec)
		}
		related = append(related, passkey.RelyingParty{ID: id, Origins: strings.Split(origins, ",")})
	}
	name := s.cfg.RPName
	if name == "" {
		name = "authkit"
	}
	s.passkeys, err = passkey.New(passkey.Config{
		RP:       rp,
		Related:  related,
		Name:     name,
		Store:    s.stores.Passkeys,
		Accounts: s.accounts, // a user keeps its last passkey unless it can sign in otherwise
		Now:      s.now,
		Logger:   s.log,
	})
	if err != nil {
		return fmt.Errorf("passkeys (-rp-id, -rp-origin): %w", err)
	}
	return nil
}

// relyingParty is the primary RP: -rp-id and -rp-origin, or the issuer's
// host and origin (an IP address cannot be an RP ID, so a loopback issuer
// gives localhost) plus the CORS origins, whose apps run the ceremonies.
func (s *server) relyingParty() (passkey.RelyingParty, error) {
	rp := passkey.RelyingParty{ID: s.cfg.RPID, Origins: s.cfg.RPOrigins}
	iss, err := url.Parse(s.cfg.Issuer)
	if err != nil {
		return rp, err
	}
	host, origin := iss.Hostname(), s.ownOrigin
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		host = "localhost"
		origin = iss.Scheme + "://" + net.JoinHostPort("localhost", iss.Port())
		if iss.Port() == "" {
			origin = iss.Scheme + "://localhost"
		}
	}
	if rp.ID == "" {
		rp.ID = host
	}
	if len(rp.Origins) == 0 {
		rp.Origins = append([]string{origin}, s.cfg.CORSOrigins...)
	}
	return rp, nil
}

// hasPasskey reports whether the user has registered a passkey.
func (s *server) hasPasskey(ctx context.Context, userID string) (bool, error) {
	list, err := s.passkeys.List(ctx, userID)
	return len(list) > 0, err
}

// passkeyExtras are the members Dynamic adds to the WebAuthn response in
// PasskeyRegisterRequest and PasskeyAuthRequest.
type passkeyExtras struct {
	CreateMfaToken   *mfaTokenOption `json:"createMfaToken,omitempty"`
	RequestedScopes  *[]string       `json:"requestedScopes,omitempty"`
	SessionPublicKey string          `json:"sessionPublicKey,omitempty"`
}

// readPasskeyBody reads a WebAuthn response posted by the client and the
// extras beside it. The response is passed on with its client data member
// spelled clientDataJSON, whichever spelling the client used.
func readPasskeyBody(r *http.Request) ([]byte, passkeyExtras, error) {
	var ex passkeyExtras
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, ex, err
		}
		return nil, ex, errValidation("Unreadable body.")
	}
	if err := json.Unmarshal(body, &ex); err != nil {
		return nil, ex, errValidation("Malformed JSON body.")
	}
	if body, err = normalizeWebAuthnResponse(body); err != nil {
		return nil, ex, errValidation("Malformed WebAuthn response.")
	}
	return body, ex, nil
}

// normalizeWebAuthnResponse renames response.clientDataJson, Dynamic's
// spelling, to the clientDataJSON of WebAuthn's JSON encoding, so that
// decoding never depends on case-insensitive field matching. A body that is
// not a JSON object is an error.
func normalizeWebAuthnResponse(body []byte) ([]byte, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || top == nil {
		return nil, errors.New("not a JSON object")
	}
	raw, ok := top["response"]
	if !ok {
		return body, nil
	}
	var resp map[string]json.RawMessage
	if err := json.Unmarshal(raw, &resp); err != nil || resp == nil {
		return nil, errors.New("response is not a JSON object")
	}
	v, dynamic := resp["clientDataJson"]
	if !dynamic {
		return body, nil
	}
	if _, both := resp["clientDataJSON"]; both {
		return nil, errors.New("both clientDataJSON and clientDataJson")
	}
	delete(resp, "clientDataJson")
	resp["clientDataJSON"] = v
	b, err := json.Marshal(resp)
	if err != nil {
		return nil, err
	}
	top["response"] = b
	return json.Marshal(top)
}

// passkeyRegisterOptions is GET users/passkeys/register: creation options
// for the signed-in user.
func (s *server) passkeyRegisterOptions(w http.ResponseWriter, r *http.Request) error {
	o, err := s.beginPasskeyRegistration(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}

func (s *server) beginPasskeyRegistration(r *http.Request) (passkey.CreationOptions, error) {
	ctx := r.Context()
	c := claimsOf(r)
	u, err := s.accounts.Get(ctx, c.Subject)
	if err != nil {
		return passkey.CreationOptions{}, err
	}
	label := accountLabel(u)
	o, err := s.passkeys.BeginRegistration(ctx, passkey.Registration{
		User:      passkey.User{ID: u.ID, Name: label, DisplayName: label},
		SessionID: c.SessionID,
		RPID:      r.URL.Query().Get("relatedOriginRpId"),
	})
	if err != nil {
		return passkey.CreationOptions{}, classifyPasskey(err)
	}
	return o, nil
}

// passkeyRegister is POST users/passkeys/register: verify the attestation,
// store the passkey and answer VerifyResponse with the session's tokens
// re-issued. It is step-up guarded (stepup.ActionEnrollFactor): a user who
// already has a second factor proves it before adding one.
func (s *server) passkeyRegister(w http.ResponseWriter, r *http.Request) error {
	body, ex, err := readPasskeyBody(r)
	if err != nil {
		return err
	}
	return s.finishPasskeyRegistration(w, r, body, ex.CreateMfaToken)
}

// finishPasskeyRegistration is the end of both registration routes.
func (s *server) finishPasskeyRegistration(w http.ResponseWriter, r *http.Request, response []byte, mt *mfaTokenOption) error {
	ctx := r.Context()
	c := claimsOf(r)
	if _, err := s.passkeys.FinishRegistration(ctx, c.Subject, c.SessionID, response); err != nil {
		return classifyPasskey(err)
	}
	u, err := s.accounts.Get(ctx, c.Subject)
	if err != nil {
		return err
	}
	toks, err := s.reissue(ctx, c, u)
	if err != nil {
		return err
	}
	resp, err := s.tokenResponse(w, r, u, toks)
	if err != nil {
		return err
	}
	if mt != nil {
		if resp.MFAToken, _, err = s.mfa.IssueToken(ctx, u.ID, toks.SessionID, mt.SingleUse); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// mfaRegisterPasskeyStart is GET users/mfa/register/passkey: the MFA-device
// form of the creation options, {id, type, registration}. The id names the
// registration; the challenge inside binds it to the user and session.
func (s *server) mfaRegisterPasskeyStart(w http.ResponseWriter, r *http.Request) error {
	o, err := s.beginPasskeyRegistration(r)
	if err != nil {
		return err
	}
	id, err := newUUID()
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		ID           string                  `json:"id"`
		Type         string                  `json:"type"`
		Registration passkey.CreationOptions `json:"registration"`
	}{id, "passkey", o})
	return nil
}

// mfaRegisterPasskey is POST users/mfa/register/passkey {id, attestation}.
func (s *server) mfaRegisterPasskey(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		ID             string          `json:"id"`
		Attestation    json.RawMessage `json:"attestation"`
		CreateMfaToken *mfaTokenOption `json:"createMfaToken,omitempty"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if body.ID == "" || len(body.Attestation) == 0 {
		return errValidation("id and attestation are required.")
	}
	att, err := normalizeWebAuthnResponse(body.Attestation)
	if err != nil {
		return errValidation("Malformed WebAuthn response.")
	}
	return s.finishPasskeyRegistration(w, r, att, body.CreateMfaToken)
}

// passkeySignInOptions is GET users/passkeys/signin: request options with
// no allowCredentials, so that the browser offers its passkeys for the RP.
func (s *server) passkeySignInOptions(w http.ResponseWriter, r *http.Request) error {
	o, err := s.passkeys.BeginSignIn(r.Context(), r.URL.Query().Get("relatedOriginRpId"))
	if err != nil {
		return classifyPasskey(err)
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}

// passkeySignIn is POST users/passkeys/signin: the passkey names its user,
// who gets a new session. A passkey that verified its user (PIN or
// biometrics) is a second factor in itself, so the session is not
// MFA-pending; one that only proved presence leaves a user with a second
// factor MFA-pending, like an OTP sign-in.
func (s *server) passkeySignIn(w http.ResponseWriter, r *http.Request) error {
	body, ex, err := readPasskeyBody(r)
	if err != nil {
		return err
	}
	scopes, err := parseRequestedScopes(ex.RequestedScopes)
	if err != nil {
		return err
	}
	if err := validSessionPublicKey(ex.SessionPublicKey); err != nil {
		return err
	}
	ctx := r.Context()
	pk, err := s.passkeys.FinishSignIn(ctx, body)
	if err != nil {
		return classifyPasskey(err)
	}
	u, err := s.accounts.Get(ctx, pk.UserID)
	if err != nil {
		if errors.Is(err, errUserNotFound) { // the user was deleted
			return classifyPasskey(passkey.ErrCredentialNotFound)
		}
		return err
	}
	f := false
	u.NewUser = &f
	mo := session.MintOptions{MFAPending: !pk.UserVerified}
	if mo.MFAPending {
		if mo.MFAPending, err = s.hasConfirmedDevice(ctx, u.ID); err != nil {
			return err
		}
	}
	if !mo.MFAPending {
		mo.AMR, mo.AuthTime = []string{authkit.AMRHardwareKey, authkit.AMRMultiFactor}, s.now()
	}
	return s.startSession(w, r, u, mo, signInOptions{
		amr: authkit.AMRHardwareKey, sessionPublicKey: ex.SessionPublicKey, requestedScopes: scopes, mfaToken: ex.CreateMfaToken,
	})
}

// passkeyAuthOptions is GET users/passkeys/authenticate: request options
// for the signed-in (or MFA-pending) user, listing their passkeys.
func (s *server) passkeyAuthOptions(w http.ResponseWriter, r *http.Request) error {
	c := claimsOf(r)
	o, err := s.passkeys.BeginMFA(r.Context(), c.Subject, c.SessionID, r.URL.Query().Get("relatedOriginRpId"))
	if err != nil {
		return classifyPasskey(err)
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}

// mfaAuthPasskey is POST users/mfa/auth/passkey: a passkey as the second
// factor, which upgrades an MFA-pending session (as users/mfa/auth/totp).
func (s *server) mfaAuthPasskey(w http.ResponseWriter, r *http.Request) error {
	body, ex, err := readPasskeyBody(r)
	if err != nil {
		return err
	}
	scopes, err := parseRequestedScopes(ex.RequestedScopes)
	if err != nil {
		return err
	}
	c := claimsOf(r)
	if _, err := s.passkeys.FinishMFA(r.Context(), c.Subject, c.SessionID, body); err != nil {
		return classifyPasskey(err)
	}
	return s.mfaUpgrade(w, r, c, ex.CreateMfaToken, scopes, authkit.AMRHardwareKey)
}

// passkeyList is GET users/passkeys.
func (s *server) passkeyList(w http.ResponseWriter, r *http.Request) error {
	list, err := s.passkeys.List(r.Context(), claimsOf(r).Subject)
	if err != nil {
		return classifyPasskey(err)
	}
	writeJSON(w, http.StatusOK, struct {
		Passkeys []passkey.Passkey `json:"passkeys"`
		Count    int               `json:"count"`
	}{list, len(list)})
	return nil
}

// passkeyRename is PUT users/passkeys {id, alias}.
func (s *server) passkeyRename(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		ID    string `json:"id"`
		Alias string `json:"alias"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if body.ID == "" {
		return errValidation("id is required.")
	}
	pk, err := s.passkeys.Rename(r.Context(), claimsOf(r).Subject, body.ID, body.Alias)
	if err != nil {
		return classifyPasskey(err)
	}
	writeJSON(w, http.StatusOK, pk)
	return nil
}

// passkeyDelete is DELETE users/passkeys with a JSON body {passkeyId}. It
// is step-up guarded (stepup.ActionRemoveFactor), and a user's last
// passkey stays when they have no other way to sign in.
func (s *server) passkeyDelete(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		PasskeyID string `json:"passkeyId"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if body.PasskeyID == "" {
		return errValidation("passkeyId is required.")
	}
	ctx, c := r.Context(), claimsOf(r)
	// A typo must not burn a single-use step-up token: look first.
	list, err := s.passkeys.List(ctx, c.Subject)
	if err != nil {
		return classifyPasskey(err)
	}
	if !slices.ContainsFunc(list, func(p passkey.Passkey) bool { return p.ID == body.PasskeyID }) {
		return classifyPasskey(passkey.ErrCredentialNotFound)
	}
	if err := s.authorize(w, r, stepup.ActionRemoveFactor); err != nil {
		return err
	}
	if err := s.passkeys.Delete(ctx, c.Subject, body.PasskeyID); err != nil {
		return classifyPasskey(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// relatedOriginsHandler serves the Related Origin Requests document
// (WebAuthn Level 3 §5.11) at /.well-known/webauthn when this server is
// the host of its own RP ID, so that browsers accept the RP ID from the
// other -rp-origin origins; nil otherwise (the RP ID's own host must serve
// it then).
func (s *server) relatedOriginsHandler() http.Handler {
	iss, err := url.Parse(s.cfg.Issuer)
	if err != nil || iss.Hostname() != s.passkeys.RPID() {
		return nil
	}
	doc, err := s.passkeys.RelatedOrigins(s.passkeys.RPID())
	if err != nil {
		return nil
	}
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "max-age=300")
		w.Write(doc)
	})
}
