package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/authkit/authkit/devicebind"
	"github.com/authkit/authkit/mfa"
	"github.com/authkit/authkit/ratelimit"
	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/verification"
)

// buildServices composes the library services from the configuration and
// the stores. This is the part of the server a host copies: each package
// gets its store, its keys and the shared clock and logger.
func (s *server) buildServices(_ context.Context, opt serverOptions) error {
	master, err := parseSecret(s.cfg.Secret)
	if err != nil {
		return err
	}
	keys := deriveSecrets(master)

	// Sessions: one signing key, published in the JWKS; tokens for the
	// allowed CORS origins are minted with that origin as aud.
	key, err := s.signingKey()
	if err != nil {
		return err
	}
	ks, err := session.NewKeySet(key)
	if err != nil {
		return err
	}
	if s.sessions, err = session.New(session.Config{
		Keys:          ks,
		Issuer:        s.cfg.Issuer,
		Audiences:     s.cfg.CORSOrigins,
		EnvironmentID: s.cfg.Env,
		Store:         s.stores.Sessions,
		Now:           s.now,
	}); err != nil {
		return err
	}
	s.sessionMW = s.newSessionMiddleware()
	if s.devices, err = devicebind.New(devicebind.Config{Store: s.stores.DeviceNonces, Now: s.now}); err != nil {
		return err
	}
	s.jwksHandler = s.sessions.JWKSHandler()

	// One-time codes.
	smsSender, emailSender, err := s.senders()
	if err != nil {
		return err
	}
	// The long-term cap on sends per destination lives in the store set's
	// limiter, so that it is shared by every instance on one backend.
	dailySends, err := s.stores.Limits.Limiter(ratelimit.LimiterConfig{Name: "verification-daily-sends", Rule: verification.DefaultDailySendRule()})
	if err != nil {
		return err
	}
	// Captcha: checked by the verification service on create and retry,
	// and by the OAuth signIn handler. nil when -captcha is not set.
	if s.captcha, err = s.cfg.newCaptcha(s.log); err != nil {
		return err
	}
	if smsSender == nil && emailSender == nil {
		// -oidc only: no code routes (senders refused a configuration
		// with no way to sign in at all).
		return s.buildMFAAndOAuth(opt, keys)
	}
	if s.codes, err = verification.New(verification.Config{
		Store:            s.stores.Verification,
		SMS:              smsSender,
		Email:            emailSender,
		HashKeys:         [][]byte{keys.verification},
		DailySendLimiter: dailySends,
		Captcha:          s.captcha,
		Now:              s.now,
		Logger:           s.log,
	}); err != nil {
		return err
	}
	return s.buildMFAAndOAuth(opt, keys)
}

// buildMFAAndOAuth composes the MFA service and the OAuth flow.
func (s *server) buildMFAAndOAuth(opt serverOptions, keys serverSecrets) error {
	// MFA: TOTP secrets and recovery codes sealed at rest.
	sealer, err := mfa.NewAESGCMSealer(mfa.Key{ID: "k1", Secret: keys.mfaSeal})
	if err != nil {
		return err
	}
	if s.mfa, err = mfa.New(mfa.Config{
		Store:    s.stores.MFA,
		Sealer:   sealer,
		HashKeys: [][]byte{keys.mfaHash},
		Issuer:   "authkit",
		Now:      s.now,
		Logger:   s.log,
	}); err != nil {
		return err
	}
	// The step-up guard takes the MFA service's methods, so it comes after.
	if s.steps, err = s.newStepUp(); err != nil {
		return err
	}
	if err := s.buildAccounts(); err != nil {
		return err
	}
	if err := s.buildPasskeys(); err != nil {
		return err
	}
	return s.buildOAuth(opt)
}

// signingKey loads -signing-key, or generates an ES256 key for this run.
func (s *server) signingKey() (*session.Key, error) {
	if s.cfg.SigningKeyFile == "" {
		return session.GenerateKey(session.ES256)
	}
	pem, err := os.ReadFile(s.cfg.SigningKeyFile)
	if err != nil {
		return nil, fmt.Errorf("-signing-key: %w", err)
	}
	k, err := session.ParseKey(pem)
	if err != nil {
		return nil, fmt.Errorf("-signing-key: %w", err)
	}
	if !k.CanSign() {
		return nil, fmt.Errorf("-signing-key: %s holds a public key; a private key is needed", s.cfg.SigningKeyFile)
	}
	return k, nil
}

// senders returns the code senders: Twilio and SMTP when configured, and
// in development mode the dev outbox (which also logs each code), alone or
// next to the real sender. A channel with no sender answers 404.
func (s *server) senders() (sms, email verification.Sender, err error) {
	if s.cfg.hasSMSSender() {
		tc := verification.TwilioConfig{AccountSID: s.cfg.TwilioAccountSID, AuthToken: s.cfg.TwilioAuthToken}
		if strings.HasPrefix(s.cfg.TwilioFrom, "MG") {
			tc.MessagingServiceSID = s.cfg.TwilioFrom
		} else {
			tc.From = s.cfg.TwilioFrom
		}
		if sms, err = verification.NewTwilioSender(tc); err != nil {
			return nil, nil, err
		}
	}
	if s.cfg.hasEmailSender() {
		if email, err = verification.NewSMTPSender(verification.SMTPConfig{
			Addr:     s.cfg.SMTPAddr,
			From:     s.cfg.SMTPFrom,
			Username: s.cfg.SMTPUsername,
			Password: s.cfg.SMTPPassword,
		}); err != nil {
			return nil, nil, err
		}
	}
	if s.cfg.Dev {
		s.devOutbox = newDevOutbox(s.log, true, 0, s.now)
		sms, email = teeSender(s.devOutbox, sms), teeSender(s.devOutbox, email)
	}
	if sms == nil && email == nil && len(s.cfg.OIDC) == 0 {
		// Nothing could sign anyone in. With an -oidc provider the
		// server is useful without codes: the code routes answer 404.
		return nil, nil, fmt.Errorf("no way to sign in: configure Twilio, SMTP or -oidc, or run with -dev")
	}
	return sms, email, nil
}
