package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/authkit/authkit/httperr"
	"github.com/authkit/authkit/mfa"
	"github.com/authkit/authkit/oauth"
	"github.com/authkit/authkit/passkey"
	"github.com/authkit/authkit/phone"
	"github.com/authkit/authkit/ratelimit"
	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/store/postgres"
	"github.com/authkit/authkit/verification"
)

// TestErrorMapping pins every library error to its answer (server.md's
// error table), wrapped as the libraries wrap them.
func TestErrorMapping(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("context: %w", err) }
	sms, email := verification.ChannelSMS, verification.ChannelEmail
	tests := []struct {
		name   string
		err    error
		status int
		code   string
		retry  time.Duration
	}{
		{"sms wrong", classifyVerification(wrap(verification.ErrWrongCode), sms), 422, "invalid_sms_verification", 0},
		{"email wrong", classifyVerification(wrap(verification.ErrWrongCode), email), 422, "wrong_email_verification_token", 0},
		{"sms too many", classifyVerification(verification.ErrTooManyAttempts, sms), 422, "too_many_sms_verification_attempts", 0},
		{"email too many", classifyVerification(verification.ErrTooManyAttempts, email), 422, "too_many_email_verification_attempts", 0},
		{"sms expired", classifyVerification(verification.ErrExpired, sms), 422, "sms_verification_expired", 0},
		{"email expired", classifyVerification(verification.ErrExpired, email), 422, "email_verification_expired", 0},
		{"sms unknown", classifyVerification(verification.ErrNotFound, sms), 422, "invalid_sms_verification", 0},
		{"email used", classifyVerification(verification.ErrAlreadyUsed, email), 422, "invalid_email_verification", 0},
		{"malformed code", classifyVerification(verification.ErrInvalidCode, sms), 400, "validation_error", 0},
		{"send limit", classifyVerification(&ratelimit.LimitedError{RetryAfter: 1500 * time.Millisecond, Err: verification.ErrRateLimited}, sms), 429, "rate_limited", 1500 * time.Millisecond},
		{"policy", classifyVerification(wrap(verification.ErrDestinationRejected), sms), 400, "phone_number_not_allowed", 0},
		{"bad sms destination", classifyVerification(fmt.Errorf("%w: %w", verification.ErrInvalidDestination, phone.ErrInvalidNumber), sms), 400, "invalid_phone_number", 0},
		{"bad email destination", classifyVerification(verification.ErrInvalidDestination, email), 400, "validation_error", 0},
		{"captcha", classifyVerification(verification.ErrCaptchaFailed, sms), 422, "captcha_failed", 0},
		{"no channel", classifyVerification(verification.ErrChannelUnavailable, sms), 404, "not_found", 0},
		{"send failed", classifyVerification(wrap(verification.ErrSendFailed), sms), 502, "send_failed", 0},
		{"send limiter unavailable", classifyVerification(wrap(verification.ErrSendLimitUnavailable), sms), 503, "service_unavailable", 0},
		{"phone input", classifyPhone(phone.ErrInvalidInput), 400, "validation_error", 0},
		{"phone region", classifyPhone(phone.ErrUnknownRegion), 400, "invalid_phone_number", 0},
		{"phone mismatch", classifyPhone(phone.ErrRegionMismatch), 400, "invalid_phone_number", 0},
		{"phone policy", classifyPhone(phone.ErrNotAllowed), 400, "phone_number_not_allowed", 0},
		{"totp wrong", classifyMFA(mfa.ErrInvalidCode), 422, "mfa_invalid_code", 0},
		{"totp limit", classifyMFA(&ratelimit.LimitedError{RetryAfter: time.Minute, Err: mfa.ErrRateLimited}), 429, "mfa_rate_limited", time.Minute},
		{"totp lifetime cap", classifyMFA(fmt.Errorf("%w: %w", mfa.ErrRateLimited, mfa.ErrLockedOut)), 429, "mfa_rate_limited", 0},
		{"no pending", classifyMFA(mfa.ErrNoPendingDevice), 422, "mfa_device_not_found", 0},
		{"no device", classifyMFA(mfa.ErrDeviceNotFound), 422, "mfa_device_not_found", 0},
		{"too many devices", classifyMFA(mfa.ErrTooManyDevices), 422, "too_many_mfa_devices", 0},
		{"recovery", classifyMFA(mfa.ErrInvalidRecoveryCode), 422, "mfa_invalid_code", 0},
		{"no recovery set", classifyMFA(mfa.ErrNoRecoveryCodes), 422, "no_recovery_codes", 0},
		{"mfa token", classifyMFA(mfa.ErrTokenInvalid), 403, "mfa_token_required", 0},
		{"expired token", classifySession(wrap(session.ErrExpired)), 401, "unauthorized", 0},
		{"revoked", classifySession(session.ErrRevoked), 401, "unauthorized", 0},
		{"invalid token (wrong kind)", classifySession(wrap(session.ErrInvalidToken)), 401, "unauthorized", 0},
		{"no token", classifySession(session.ErrNoToken), 401, "unauthorized", 0},
		{"csrf", classifySession(session.ErrCSRF), 403, "csrf_rejected", 0},
		{"scope", classifySession(session.ErrInsufficientScope), 403, "insufficient_scope", 0},
		{"invalid scope", classifySession(fmt.Errorf("%w: invalid scope", session.ErrInvalidRequest)), 400, "validation_error", 0},
		{"state", classifyOAuth(oauth.ErrStateUsed), 422, "invalid_verification", 0},
		{"state mismatch", classifyOAuth(oauth.ErrStateMismatch), 422, "invalid_verification", 0},
		{"state value", classifyOAuth(oauth.ErrInvalidStateValue), 400, "validation_error", 0},
		{"redirect", classifyOAuth(oauth.ErrRedirectURLNotAllowed), 400, "validation_error", 0},
		{"verifier", classifyOAuth(oauth.ErrInvalidCodeVerifier), 422, "other_verify_failure", 0},
		{"exchange", classifyOAuth(wrap(oauth.ErrExchangeFailed)), 422, "other_verify_failure", 0},
		{"id token", classifyOAuth(oauth.ErrInvalidIDToken), 422, "other_verify_failure", 0},
		{"provider error", classifyOAuth(&oauth.ProviderError{Code: "access_denied"}), 422, "other_verify_failure", 0},
		{"unavailable", classifyOAuth(wrap(oauth.ErrProviderUnavailable)), 502, "provider_unavailable", 0},
		{"unknown provider", classifyOAuth(oauth.ErrUnknownProvider), 422, "provider_not_available", 0},
		{"limiter", &ratelimit.LimitedError{RetryAfter: 2 * time.Second}, 429, "rate_limited", 2 * time.Second},
		{"body", &http.MaxBytesError{Limit: maxBodyBytes}, 413, "body_too_large", 0},
		{"user gone", errUserNotFound, 401, "unauthorized", 0},
		{"credential taken", errCredentialInUse, 422, "credential_already_linked", 0},
		{"anything else", errors.New("disk on fire"), 500, "internal_error", 0},
		// What no handler classified gets httperr's generic answer.
		{"store outage", wrap(postgres.ErrUnavailable), 503, "store_unavailable", 0},
		{"unclassified send limit", wrap(&ratelimit.LimitedError{RetryAfter: time.Second, Err: verification.ErrRateLimited}), 429, "rate_limited", time.Second},
		{"unclassified passkey refusal", wrap(passkey.ErrChallenge), 422, "passkey_invalid_challenge", 0},
		{"config error stays internal", wrap(session.ErrConfig), 500, "internal_error", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			ae := writeError(w, tc.err)
			if w.Code != tc.status || ae.Code != tc.code || ae.RetryAfter != tc.retry {
				t.Fatalf("got %d %s %v, want %d %s %v", w.Code, ae.Code, ae.RetryAfter, tc.status, tc.code, tc.retry)
			}
			if tc.retry > 0 && w.Header().Get("Retry-After") != fmt.Sprint(httperr.RetryAfterSeconds(tc.retry)) {
				t.Fatalf("Retry-After %q", w.Header().Get("Retry-After"))
			}
			if tc.status == 500 && (ae.Msg != "Internal error." || !errors.Is(ae, ae.cause)) {
				t.Fatalf("500 message %q", ae.Msg)
			}
		})
	}
	if httperr.RetryAfterSeconds(1500*time.Millisecond) != 2 || httperr.RetryAfterSeconds(0) != 1 {
		t.Fatal("Retry-After rounding")
	}
}

func TestClientIP(t *testing.T) {
	for remote, want := range map[string]string{
		"192.0.2.7:1234":                "192.0.2.7",
		"[::ffff:192.0.2.7]:1234":       "192.0.2.7",
		"[2001:db8:1:2:3:4:5:6]:443":    "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff:4:5:6]:443": "2001:db8:1:2::/64",
		"not-an-address":                "not-an-address",
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		if got := clientIP(r); got != want {
			t.Errorf("clientIP(%q) = %q, want %q", remote, got, want)
		}
	}
}
