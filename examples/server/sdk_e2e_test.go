package main

import (
	"encoding/hex"
	"strings"
	"testing"
	"time"
)

// Tests of the routes Dynamic's headless SDK needs beyond server.md:
// settings, TOTP enrolment through users/mfa/auth/totp, MFA methods and
// the default device. The SDK itself drives them in sdkclient_test.go.

func TestSettings(t *testing.T) {
	type provider struct {
		Provider, ClientID, RedirectURL, BaseAuthURL, Scopes string
	}
	type settings struct {
		EnvironmentName string
		Chains, KYC     []any
		Design, Privacy map[string]any
		SDK             map[string]any
		General         struct{ DisplayName string }
		Security        struct {
			Auth    struct{ Storage []string }
			Captcha struct {
				Enabled           bool
				Provider, SiteKey string
			}
			MFA struct {
				Methods []struct {
					Type    string
					Enabled bool
				}
			}
		}
		Providers []provider
	}
	const captchaSecret, masterSecret = "captcha-secret-value-0123456789", "6a9b0d3e2f5c8a1b4d7e0f3a6c9b2e5d8f1a4c7e0b3d6f9a2c5e8b1d4f7a0c3e"
	for _, tc := range []struct {
		name        string
		mods        []func(*config)
		storage     string
		captcha     bool
		captchaProv string
	}{
		{"header mode", nil, "localstorage", false, ""},
		{"cookie mode", []func(*config){func(c *config) { c.CookieAuth = true }}, "cookie", false, ""},
		{"captcha", []func(*config){func(c *config) {
			c.Captcha, c.CaptchaSecret, c.CaptchaSiteKey = "turnstile", captchaSecret, "site-key-1"
		}}, "localstorage", true, "cloudflareTurnstile"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mods := append([]func(*config){func(c *config) { c.Secret = masterSecret }}, tc.mods...)
			e := newTestEnv(t, nil, mods...)
			r := e.do(req{Method: "GET", Path: "settings?sdkVersion=ClientSDK%2F1.27.1"})
			expectStatus(t, r, 200)
			var s settings
			r.JSON(t, &s)
			raw := r.Map(t)
			for _, k := range []string{"chains", "kyc", "design", "general", "privacy", "sdk", "security"} {
				if raw[k] == nil {
					t.Errorf("settings lack %q (the SDK's parser dereferences it): %s", k, r.Body)
				}
			}
			if s.EnvironmentName != "sandbox" || len(s.Security.Auth.Storage) != 1 || s.Security.Auth.Storage[0] != tc.storage {
				t.Errorf("environmentName %q, storage %v; want sandbox, [%s]", s.EnvironmentName, s.Security.Auth.Storage, tc.storage)
			}
			if s.Security.Captcha.Enabled != tc.captcha || s.Security.Captcha.Provider != tc.captchaProv {
				t.Errorf("captcha %+v, want enabled %v provider %q", s.Security.Captcha, tc.captcha, tc.captchaProv)
			}
			if tc.captcha && s.Security.Captcha.SiteKey != "site-key-1" {
				t.Errorf("captcha siteKey %q", s.Security.Captcha.SiteKey)
			}
			if len(s.Security.MFA.Methods) == 0 || s.Security.MFA.Methods[0].Type != "totp" || !s.Security.MFA.Methods[0].Enabled {
				t.Errorf("mfa methods %+v", s.Security.MFA.Methods)
			}
			var gh *provider
			names := map[string]bool{}
			for i, p := range s.Providers {
				names[p.Provider] = true
				if p.Provider == "github" {
					gh = &s.Providers[i]
				}
			}
			if !names["sms"] || !names["emailOnly"] || gh == nil {
				t.Fatalf("providers %+v: want sms, emailOnly and github", s.Providers)
			}
			if gh.ClientID != e.srv.fakeOAuth.ClientID() || gh.RedirectURL != e.srv.redirectURI("github") ||
				gh.BaseAuthURL != e.srv.ownOrigin+"/dev/oauth/authorize" || gh.Scopes == "" {
				t.Errorf("github provider %+v", gh)
			}
			// Never a secret: not the OAuth client secret, the captcha
			// secret, the master secret or anything derived from it.
			body := string(r.Body)
			for _, secret := range []string{e.srv.fakeOAuth.ClientSecret(), captchaSecret, masterSecret} {
				if strings.Contains(body, secret) {
					t.Errorf("settings contain a secret: %s", body)
				}
			}
			if strings.Contains(strings.ToLower(body), "secret") {
				t.Errorf("settings mention a secret: %s", body)
			}
			// No authentication needed, and a bearer is ignored.
			expectStatus(t, e.do(req{Method: "GET", Path: "settings", Bearer: "not-a-token"}), 200)
		})
	}
	t.Run("hex master secret is not leaked in any encoding", func(t *testing.T) {
		e := newTestEnv(t, nil, func(c *config) { c.Secret = masterSecret })
		r := e.do(req{Method: "GET", Path: "settings"})
		b, _ := hex.DecodeString(masterSecret)
		if strings.Contains(string(r.Body), string(b)) {
			t.Error("settings contain the raw master secret")
		}
	})
}

func TestSDKTOTPEnrolment(t *testing.T) {
	e := newTestEnv(t, nil)
	v := e.smsSignIn(1, nil)
	bearer := v.MinifiedJWT
	register := func() (id, secret string) {
		r := e.do(req{Method: "GET", Path: "users/mfa/register/totp", Bearer: bearer})
		expectStatus(t, r, 200)
		var reg struct{ ID, Type, Secret, URI string }
		r.JSON(t, &reg)
		return reg.ID, reg.Secret
	}
	id, secret := register()
	wrong := "000000"
	if e.totpCode(secret) == wrong {
		wrong = "111111"
	}
	auth := func(bearer string, body map[string]any) *resp {
		return e.do(req{Method: "POST", Path: "users/mfa/auth/totp", Bearer: bearer, Body: body})
	}
	expectError(t, auth(bearer, map[string]any{"id": id, "code": wrong}), 422, "mfa_invalid_code")
	expectError(t, auth(bearer, map[string]any{"id": "8f0e6f0c-4a43-4c8e-9a55-1f7b1d0b7a10", "code": wrong}), 422, "mfa_device_not_found")

	// The SDK's enrolment: the id from register, a first code.
	r := auth(bearer, map[string]any{"id": id, "code": e.totpCode(secret), "createMfaToken": map[string]any{"singleUse": true}})
	expectStatus(t, r, 200)
	var up verifyResponse
	r.JSON(t, &up)
	if up.MinifiedJWT == "" || up.JWT == "" || up.MFAToken == "" || up.User.Scope != "user:basic" {
		t.Fatalf("enrolment answer %s", r.Body)
	}
	if up.User.MFABackupCodeAcknowledgement == nil || *up.User.MFABackupCodeAcknowledgement != "pending" {
		t.Errorf("first enrolment: mfaBackupCodeAcknowledgement = %v, want pending", up.User.MFABackupCodeAcknowledgement)
	}
	// The enrolment proved the device: the re-issued session is fresh, which
	// a second enrolment needs now that the user has a verified device.
	expectError(t, e.do(req{Method: "GET", Path: "users/mfa/register/totp", Bearer: bearer}), 403, "step_up_required")
	bearer = up.MinifiedJWT
	e.clock.Advance(30 * time.Second)
	var d mfaDevice
	r = e.do(req{Method: "GET", Path: "users/mfa/" + id, Bearer: bearer})
	expectStatus(t, r, 200)
	r.JSON(t, &d)
	if !d.Verified || !d.Default || d.Type != "totp" {
		t.Fatalf("device after enrolment %s", r.Body)
	}
	// The enrolled device is now verified: the same id authenticates.
	expectStatus(t, auth(bearer, map[string]any{"id": id, "code": e.totpCode(secret)}), 200)
	e.clock.Advance(30 * time.Second)

	// A second, unverified device cannot be confirmed from an MFA-pending
	// session: that session must prove a device it already had.
	id2, secret2 := register()
	pending := e.smsSignIn(1, nil)
	if pending.User.Scope != "requiresAdditionalAuth" {
		t.Fatalf("sign-in of an MFA user: scope %q", pending.User.Scope)
	}
	expectError(t, auth(pending.MinifiedJWT, map[string]any{"id": id2, "code": e.totpCode(secret2)}), 422, "mfa_device_not_found")

	// Methods: verifiedOnly hides the unverified device.
	var m struct {
		Devices                   []mfaDevice
		Passkeys                  []any
		UserHasVerifiedMfaMethods bool
	}
	r = e.do(req{Method: "GET", Path: "users/mfa/methods?verifiedOnly=true", Bearer: bearer})
	expectStatus(t, r, 200)
	r.JSON(t, &m)
	if len(m.Devices) != 1 || m.Devices[0].ID != id || m.Passkeys == nil || !m.UserHasVerifiedMfaMethods {
		t.Fatalf("methods?verifiedOnly=true %s", r.Body)
	}
	r = e.do(req{Method: "GET", Path: "users/mfa/methods", Bearer: bearer})
	r.JSON(t, &m)
	if len(m.Devices) != 2 {
		t.Fatalf("methods %s", r.Body)
	}

	// Default device: the unverified one cannot be chosen; a body-less PUT
	// makes a verified device the default; {"default": false} is a no-op.
	expectError(t, e.do(req{Method: "PUT", Path: "users/mfa/" + id2, Bearer: bearer}), 422, "mfa_device_not_found")
	expectError(t, e.do(req{Method: "GET", Path: "users/mfa/8f0e6f0c-4a43-4c8e-9a55-1f7b1d0b7a10", Bearer: bearer}), 422, "mfa_device_not_found")
	expectStatus(t, auth(bearer, map[string]any{"id": id2, "code": e.totpCode(secret2)}), 200)
	e.clock.Advance(30 * time.Second)
	defaults := func() (ids []string) {
		r := e.do(req{Method: "GET", Path: "users/mfa/methods", Bearer: bearer})
		r.JSON(t, &m)
		for _, d := range m.Devices {
			if d.Default {
				ids = append(ids, d.ID)
			}
		}
		return ids
	}
	if got := defaults(); len(got) != 1 || got[0] != id {
		t.Fatalf("defaults %v, want the first device", got)
	}
	expectStatus(t, e.do(req{Method: "PUT", Path: "users/mfa/" + id2, Bearer: bearer}), 204)
	if got := defaults(); len(got) != 1 || got[0] != id2 {
		t.Fatalf("defaults %v after PUT, want the second device", got)
	}
	expectStatus(t, e.do(req{Method: "PUT", Path: "users/mfa/" + id, Bearer: bearer, Body: map[string]any{"default": false}}), 204)
	if got := defaults(); len(got) != 1 || got[0] != id2 {
		t.Fatalf("defaults %v after default:false, want unchanged", got)
	}
	// Without an id, auth/totp now tries the new default.
	expectStatus(t, auth(bearer, map[string]any{"code": e.totpCode(secret2)}), 200)
	// A malformed register type is mfa_invalid_request.
	expectError(t, e.do(req{Method: "POST", Path: "users/mfa/register/totp", Bearer: bearer, Body: map[string]any{"type": "sms", "code": "123456"}}), 422, "mfa_invalid_request")
}
