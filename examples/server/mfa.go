package main

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/mfa"
	"github.com/authkit/authkit/passkey"
	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/session/stepup"
)

// The MFA routes: TOTP devices (users/mfa, users/mfa/{id},
// users/mfa/register/totp), the MFA step of a sign-in
// (users/mfa/auth/{totp,recovery}) and recovery codes (users/mfa/recovery).

// mfaTokenOption is createMfaToken: ask for an MFA token along with the
// upgraded session.
type mfaTokenOption struct {
	SingleUse bool `json:"singleUse"`
}

// mfaAuthRequest is the body of users/mfa/auth/totp and …/recovery.
type mfaAuthRequest struct {
	Code            string          `json:"code"`
	ID              string          `json:"id,omitempty"`
	CreateMfaToken  *mfaTokenOption `json:"createMfaToken,omitempty"`
	RequestedScopes *[]string       `json:"requestedScopes,omitempty"`
}

// hasConfirmedDevice reports whether the user has a second factor: a
// confirmed TOTP device or a passkey. It makes every OTP or OAuth sign-in
// MFA-pending, and step-up apply.
func (s *server) hasConfirmedDevice(ctx context.Context, userID string) (bool, error) {
	devs, err := s.mfa.ListDevices(ctx, userID)
	if err != nil {
		return false, err
	}
	for _, d := range devs {
		if d.Verified {
			return true, nil
		}
	}
	return s.hasPasskey(ctx, userID)
}

// mfaList is GET users/mfa.
func (s *server) mfaList(w http.ResponseWriter, r *http.Request) error {
	devs, err := s.mfa.ListDevices(r.Context(), claimsOf(r).Subject)
	if err != nil {
		return err
	}
	if devs == nil {
		devs = []mfa.Device{}
	}
	writeJSON(w, http.StatusOK, struct {
		Count   int          `json:"count"`
		Devices []mfa.Device `json:"devices"`
	}{len(devs), devs})
	return nil
}

// mfaDelete is DELETE users/mfa/{id}. Once the user has a verified
// device it needs step-up (stepup.ActionRemoveFactor): an elevated token
// with credential:unlink or an MFA token in x-mfa-auth-token. An unknown
// id is refused before any token is spent.
func (s *server) mfaDelete(w http.ResponseWriter, r *http.Request) error {
	c := claimsOf(r)
	id := r.PathValue("id")
	devs, err := s.mfa.ListDevices(r.Context(), c.Subject)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(devs, func(d mfa.Device) bool { return d.ID == id }) {
		return classifyMFA(mfa.ErrDeviceNotFound)
	}
	if err := s.authorize(w, r, stepup.ActionRemoveFactor); err != nil {
		return err
	}
	if err := s.mfa.RemoveDevice(r.Context(), c.Subject, id); err != nil {
		return classifyMFA(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// mfaRegisterStart is GET users/mfa/register/totp: a new unverified device.
func (s *server) mfaRegisterStart(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	u, err := s.accounts.Get(ctx, claimsOf(r).Subject)
	if err != nil {
		return err
	}
	e, err := s.mfa.EnrollTOTP(ctx, u.ID, accountLabel(u))
	if err != nil {
		return classifyMFA(err)
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

// accountLabel names the user in authenticator apps.
func accountLabel(u authkit.User) string {
	switch {
	case u.Email != "":
		return u.Email
	case u.PhoneNumber != "":
		return u.PhoneNumber
	}
	return "user " + u.ID[:8]
}

// mfaRegisterConfirm is POST users/mfa/register/totp: confirm the newest
// unverified device with a first code.
func (s *server) mfaRegisterConfirm(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Type string `json:"type"`
		Code string `json:"code"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if body.Type != string(mfa.DeviceTypeTOTP) {
		return errMFARequestInvalid(`type must be "totp".`)
	}
	if !sixDigits.MatchString(body.Code) {
		return errValidation("code must be 6 digits.")
	}
	d, err := s.mfa.ConfirmTOTP(r.Context(), claimsOf(r).Subject, body.Code)
	if err != nil {
		return classifyMFA(err)
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// mfaAuthTOTP is POST users/mfa/auth/totp.
func (s *server) mfaAuthTOTP(w http.ResponseWriter, r *http.Request) error {
	var body mfaAuthRequest
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if !sixDigits.MatchString(body.Code) {
		return errValidation("code must be 6 digits.")
	}
	scopes, err := parseRequestedScopes(body.RequestedScopes)
	if err != nil {
		return err
	}
	c := claimsOf(r)
	if err := s.checkTOTP(w, r, c, body.ID, body.Code); err != nil {
		return err
	}
	return s.mfaUpgrade(w, r, c, body.CreateMfaToken, scopes, authkit.AMROneTimePassword)
}

// checkTOTP checks a code for users/mfa/auth/totp. An id naming an
// unverified device confirms it (the SDK's enrolment: GET
// users/mfa/register/totp, then this route with the new id); only a session
// past MFA can do that, since an MFA-pending session must prove a device
// it already had. Any other id, or none, authenticates with a verified
// device. Confirming is enrolment, so once the user has a verified second
// factor it needs the step-up of stepup.ActionEnrollFactor: otherwise a
// device planted, secret in hand, by whoever held the session before the
// user had MFA would become a factor.
func (s *server) checkTOTP(w http.ResponseWriter, r *http.Request, c *session.Claims, id, code string) error {
	ctx := r.Context()
	if id != "" && !c.MFAPending() {
		d, err := s.mfa.GetDevice(ctx, c.Subject, id)
		if err != nil {
			return classifyMFA(err)
		}
		if !d.Verified {
			if err := s.authorize(w, r, stepup.ActionEnrollFactor); err != nil {
				return err
			}
			if _, err := s.mfa.ConfirmTOTPDevice(ctx, c.Subject, id, code); err != nil {
				return classifyMFA(err)
			}
			// The first recovery codes come with the first device, so the
			// user is asked to save them (acknowledgement pending); a later
			// device leaves an acknowledged set as it is.
			if _, err := s.mfa.RecoveryCodes(ctx, c.Subject); err != nil && !errors.Is(err, mfa.ErrRecoveryCodesAcknowledged) {
				return classifyMFA(err)
			}
			return nil
		}
	}
	if _, err := s.mfa.AuthenticateTOTP(ctx, c.Subject, id, code); err != nil {
		return classifyMFA(err)
	}
	return nil
}

// mfaAuthRecovery is POST users/mfa/auth/recovery.
func (s *server) mfaAuthRecovery(w http.ResponseWriter, r *http.Request) error {
	var body mfaAuthRequest
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if body.Code == "" || len(body.Code) > maxNameLen {
		return errValidation("code is required.")
	}
	scopes, err := parseRequestedScopes(body.RequestedScopes)
	if err != nil {
		return err
	}
	c := claimsOf(r)
	if _, err := s.mfa.AuthenticateRecovery(r.Context(), c.Subject, body.Code); err != nil {
		return classifyMFA(err)
	}
	return s.mfaUpgrade(w, r, c, body.CreateMfaToken, scopes, authkit.AMRKnowledge)
}

// mfaUpgrade answers a successful MFA step: the session's tokens re-issued
// with user:basic and the second factor's amr and auth_time (which make
// the session fresh for step-up), plus an MFA token and an elevated token
// when asked.
func (s *server) mfaUpgrade(w http.ResponseWriter, r *http.Request, c *session.Claims, mt *mfaTokenOption, scopes []authkit.Scope, method string) error {
	ctx := r.Context()
	u, err := s.accounts.Get(ctx, c.Subject)
	if err != nil {
		return err
	}
	toks, err := s.sessions.UpgradeMFA(ctx, c, u, extraScopes(c), method)
	if err != nil {
		return classifySession(err)
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
	if resp.ElevatedAccessToken, err = s.elevate(ctx, toks.Claims, scopes, authkit.AMRMultiFactor, method); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// recoveryResponse is MFAGetRecoveryCodesResponse: count is the number of
// unused codes; recoveryCodes is empty unless they may be revealed.
type recoveryResponse struct {
	Count         int      `json:"count"`
	RecoveryCodes []string `json:"recoveryCodes"`
}

// mfaRecoveryGet is GET users/mfa/recovery. The codes are a secret shown
// once: they are revealed (the set created on first call) only to a user
// with a verified device, while the acknowledgement is pending, and to a
// session that passed MFA moments ago or presents an MFA or elevated
// token (stepup.ActionRevealRecoveryCodes). Anyone else gets the count.
func (s *server) mfaRecoveryGet(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c := claimsOf(r)
	st, err := s.mfa.RecoveryStatus(ctx, c.Subject)
	if err != nil {
		return err
	}
	resp := recoveryResponse{Count: st.Count, RecoveryCodes: []string{}}
	hasMFA, err := s.hasConfirmedDevice(ctx, c.Subject)
	if err != nil {
		return err
	}
	if !hasMFA || st.Acknowledgement == authkit.AcknowledgementComplete {
		writeJSON(w, http.StatusOK, resp)
		return nil
	}
	var su *stepup.Error
	if _, err := s.steps.Authorize(r, stepup.ActionRevealRecoveryCodes); errors.As(err, &su) {
		writeJSON(w, http.StatusOK, resp)
		return nil
	} else if err != nil {
		return classifySession(err)
	}
	codes, err := s.mfa.RecoveryCodes(ctx, c.Subject)
	switch {
	case errors.Is(err, mfa.ErrRecoveryCodesAcknowledged): // acknowledged meanwhile
	case err != nil:
		return classifyMFA(err)
	default:
		resp = recoveryResponse{Count: len(codes), RecoveryCodes: codes}
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// mfaRecoveryRegenerate is POST users/mfa/recovery: a new set; every
// previous code stops working. It needs a verified device and step-up
// (stepup.ActionRegenerateRecoveryCodes).
func (s *server) mfaRecoveryRegenerate(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c := claimsOf(r)
	hasMFA, err := s.hasConfirmedDevice(ctx, c.Subject)
	if err != nil {
		return err
	}
	if !hasMFA {
		// A recovery code passes MFA: without a device it would be a
		// factor of its own, obtainable with the session alone.
		return classifyMFA(mfa.ErrDeviceNotFound)
	}
	if err := s.authorize(w, r, stepup.ActionRegenerateRecoveryCodes); err != nil {
		return err
	}
	codes, err := s.mfa.RegenerateRecoveryCodes(ctx, c.Subject)
	if err != nil {
		return classifyMFA(err)
	}
	writeJSON(w, http.StatusOK, recoveryResponse{Count: len(codes), RecoveryCodes: codes})
	return nil
}

// mfaMethods is GET users/mfa/methods: the user's MFA devices (only the
// verified ones with ?verifiedOnly=true), passkeys, and whether any
// method is verified.
func (s *server) mfaMethods(w http.ResponseWriter, r *http.Request) error {
	devs, err := s.mfa.ListDevices(r.Context(), claimsOf(r).Subject)
	if err != nil {
		return err
	}
	verifiedOnly := r.URL.Query().Get("verifiedOnly") == "true"
	out := []mfa.Device{}
	verified := false
	for _, d := range devs {
		verified = verified || d.Verified
		if d.Verified || !verifiedOnly {
			out = append(out, d)
		}
	}
	pks, err := s.passkeys.List(r.Context(), claimsOf(r).Subject)
	if err != nil {
		return classifyPasskey(err)
	}
	writeJSON(w, http.StatusOK, struct {
		Devices                   []mfa.Device      `json:"devices"`
		Passkeys                  []passkey.Passkey `json:"passkeys"`
		UserHasVerifiedMfaMethods bool              `json:"userHasVerifiedMfaMethods"`
	}{out, pks, verified || len(pks) > 0})
	return nil
}

// mfaGet is GET users/mfa/{id}: one of the user's devices.
func (s *server) mfaGet(w http.ResponseWriter, r *http.Request) error {
	d, err := s.mfa.GetDevice(r.Context(), claimsOf(r).Subject, r.PathValue("id"))
	if err != nil {
		return classifyMFA(err)
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// mfaPut is PUT users/mfa/{id}: make a verified device the default. The
// SDK sends no body; {"default": true} means the same and {"default":
// false} changes nothing.
func (s *server) mfaPut(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Default *bool `json:"default"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	ctx, c := r.Context(), claimsOf(r)
	if body.Default != nil && !*body.Default {
		if _, err := s.mfa.GetDevice(ctx, c.Subject, r.PathValue("id")); err != nil {
			return classifyMFA(err)
		}
	} else if err := s.mfa.SetDefaultDevice(ctx, c.Subject, r.PathValue("id")); err != nil {
		return classifyMFA(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
