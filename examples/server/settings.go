package main

import (
	"net/http"
	"strings"
)

// GET settings: the project settings Dynamic's clients load before
// anything else. The headless SDK refuses to start without them, and its
// parser dereferences chains, kyc, design, general, privacy, sdk and
// security unconditionally, so those are always present. Everything here
// comes from the server's configuration and is public: no client secret,
// captcha secret or key ever goes in.

// projectSettings is the minimal ProjectSettings object.
type projectSettings struct {
	EnvironmentName string             `json:"environmentName"`
	Chains          []struct{}         `json:"chains"`
	KYC             []struct{}         `json:"kyc"`
	Design          struct{}           `json:"design"`
	Privacy         struct{}           `json:"privacy"`
	General         settingsGeneral    `json:"general"`
	SDK             settingsSDK        `json:"sdk"`
	Security        settingsSecurity   `json:"security"`
	Providers       []settingsProvider `json:"providers"`
}

type settingsGeneral struct {
	DisplayName string `json:"displayName"`
}

type settingsSDK struct {
	// EmailSignIn is present when email codes can sign in.
	EmailSignIn *struct {
		SignInProvider string `json:"signInProvider"`
	} `json:"emailSignIn,omitempty"`
}

type settingsSecurity struct {
	Auth    settingsAuth    `json:"auth"`
	Captcha settingsCaptcha `json:"captcha"`
	MFA     settingsMFA     `json:"mfa"`
}

// settingsAuth.Storage holding "cookie" switches the SDK to cookie mode
// (credentials included, no device signatures, refresh at start-up).
type settingsAuth struct {
	Storage []string `json:"storage"`
}

type settingsCaptcha struct {
	Enabled  bool   `json:"enabled"`
	Provider string `json:"provider,omitempty"`
	SiteKey  string `json:"siteKey,omitempty"`
}

type settingsMFA struct {
	Enabled          bool                `json:"enabled"`
	Required         bool                `json:"required"`
	Enrollment       string              `json:"enrollment"`
	AvailableMethods []string            `json:"availableMethods"`
	Methods          []settingsMFAMethod `json:"methods"`
	Actions          []struct{}          `json:"actions"`
}

type settingsMFAMethod struct {
	Type    string `json:"type"`
	Enabled bool   `json:"enabled"`
}

// settingsProvider is one sign-in provider. A social provider carries what
// the SDK needs to build the authorization URL itself.
type settingsProvider struct {
	Provider    string `json:"provider"`
	ClientID    string `json:"clientId,omitempty"`
	RedirectURL string `json:"redirectUrl,omitempty"`
	BaseAuthURL string `json:"baseAuthUrl,omitempty"`
	Scopes      string `json:"scopes,omitempty"`
}

// captchaSettingsProvider maps -captcha to the SDK's captcha provider
// names; reCAPTCHA has none, so the SDK only learns that a token is needed.
var captchaSettingsProvider = map[string]string{
	"turnstile": "cloudflareTurnstile",
	"hcaptcha":  "hcaptcha",
}

// settings is GET settings.
func (s *server) settings(w http.ResponseWriter, r *http.Request) error {
	ps := projectSettings{
		EnvironmentName: "live",
		Chains:          []struct{}{},
		KYC:             []struct{}{},
		General:         settingsGeneral{DisplayName: "authkit"},
		Security: settingsSecurity{
			Auth: settingsAuth{Storage: []string{"localstorage"}},
			MFA: settingsMFA{
				Enabled: true, Enrollment: "none",
				AvailableMethods: []string{"totp"},
				Methods:          []settingsMFAMethod{{Type: "totp", Enabled: true}},
				Actions:          []struct{}{},
			},
		},
		Providers: []settingsProvider{},
	}
	if s.cfg.Dev {
		ps.EnvironmentName = "sandbox"
	}
	if s.cfg.CookieAuth {
		ps.Security.Auth.Storage = []string{"cookie"}
	}
	if s.cfg.hasCaptcha() {
		ps.Security.Captcha = settingsCaptcha{Enabled: true, Provider: captchaSettingsProvider[s.cfg.Captcha], SiteKey: s.cfg.CaptchaSiteKey}
	}
	if s.codes != nil {
		if s.cfg.Dev || s.cfg.hasEmailSender() {
			ps.SDK.EmailSignIn = &struct {
				SignInProvider string `json:"signInProvider"`
			}{"dynamic"}
			ps.Providers = append(ps.Providers, settingsProvider{Provider: "emailOnly"})
		}
		if s.cfg.Dev || s.cfg.hasSMSSender() {
			ps.Providers = append(ps.Providers, settingsProvider{Provider: "sms"})
		}
	}
	if s.oauth != nil {
		for _, name := range s.oauth.Providers() {
			cc, err := s.oauth.ClientConfig(r.Context(), name)
			if err != nil {
				// An OpenID provider that cannot be discovered now is left
				// out rather than failing the SDK's start-up.
				s.log.WarnContext(r.Context(), "settings: provider unavailable", "provider", name, "err", err)
				continue
			}
			ps.Providers = append(ps.Providers, settingsProvider{
				Provider:    name,
				ClientID:    cc.ClientID,
				RedirectURL: cc.RedirectURL,
				BaseAuthURL: cc.AuthURL,
				Scopes:      strings.Join(cc.Scopes, " "),
			})
		}
	}
	writeJSON(w, http.StatusOK, ps)
	return nil
}
