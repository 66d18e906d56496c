package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// signInSMS signs in on the page with a one-time code sent to the US
// number national, read from the dev outbox as a person would read their
// phone. It returns once the page shows the signed-in or MFA step.
func (b *demoBrowser) signInSMS(national string) {
	b.t.Helper()
	b.click(`input[name="channel"][value="sms"]`)
	b.fill("#iso", "US")
	b.fill("#phone", national)
	b.click("#send-code")
	b.waitVisible("#otp-verify")
	b.fill("#otp-code", b.e.lastCode("+1"+national))
	b.click("#otp-signin")
	b.poll("waiting for the sign-in", `!document.getElementById("signed-in").hidden || !document.getElementById("mfa-pending").hidden`)
}

// addAuthenticator gives the tab a virtual platform authenticator that
// holds discoverable credentials and verifies its user, as a phone or a
// laptop with a passkey would.
func (b *demoBrowser) addAuthenticator() webauthn.AuthenticatorID {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, demoStepTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		b.t.Fatalf("WebAuthn.enable: %v", err)
	}
	res, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol:                    webauthn.AuthenticatorProtocolCtap2,
			Ctap2version:                webauthn.Ctap2versionCtap21,
			Transport:                   webauthn.AuthenticatorTransportInternal,
			HasResidentKey:              true,
			HasUserVerification:         true,
			IsUserVerified:              true,
			AutomaticPresenceSimulation: true,
		},
	})
	if err != nil {
		b.t.Fatalf("WebAuthn.addVirtualAuthenticator: %v", err)
	}
	return res.AuthenticatorID
}

// credentials lists what the virtual authenticator holds.
func (b *demoBrowser) credentials(id webauthn.AuthenticatorID) []*webauthn.Credential {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, demoStepTimeout)
	defer cancel()
	res, err := chromedp.Call(ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: id})
	if err != nil {
		b.t.Fatalf("WebAuthn.getCredentials: %v", err)
	}
	return res.Credentials
}

// TestDemoPagePasskeys: sign up by SMS, register a passkey, sign out, sign
// in with the passkey, then use the passkey as the second factor of an SMS
// sign-in; all through the page and Chromium's virtual authenticator.
func TestDemoPagePasskeys(t *testing.T) {
	e := newDemoEnv(t)
	b := newDemoBrowser(t, e)
	auth := b.addAuthenticator()
	const phone = "9172113333"

	b.signInSMS(phone)
	user := b.signedInUser()
	b.checkUserIDShown()

	b.click("#passkey-register")
	b.poll("waiting for the passkey", `document.getElementById("status").textContent === "Passkey added."`)
	creds := b.credentials(auth)
	if len(creds) != 1 || !creds[0].IsResidentCredential || creds[0].RpID != "localhost" {
		t.Fatalf("authenticator holds %+v, want one discoverable credential for localhost", creds)
	}
	if n := b.eval(`String(document.querySelectorAll("#passkeys li").length)`); n != "1" {
		t.Fatalf("page lists %s passkeys", n)
	}

	// Passkey sign-in: no phone, no code, the same user.
	b.signOut()
	b.click("#passkey-signin")
	if got := b.signedInUser(); got != user {
		t.Fatalf("passkey sign-in as %s, registered by %s", got, user)
	}

	// The passkey is now a second factor: an SMS sign-in stops at the MFA
	// step until the passkey confirms it.
	b.signOut()
	e.clock.Advance(30 * time.Second) // the pause between two codes to one phone
	b.signInSMS(phone)
	b.waitVisible("#mfa-pending")
	b.click("#passkey-mfa")
	if got := b.signedInUser(); got != user {
		t.Fatalf("passkey MFA as %s, want %s", got, user)
	}

	// A passkey the server does not know (the authenticator lost the
	// registered one and holds a stranger's for this site) signs no one in.
	b.signOut()
	b.replaceWithStranger(auth)
	b.click("#passkey-signin")
	b.waitError("waiting for the refusal")
	if code := b.eval(`document.getElementById("status").dataset.code`); code != "passkey_not_found" {
		t.Fatalf("refusal %q (%s), want passkey_not_found from the server", code, b.status())
	}
	b.waitVisible("#signed-out")
	if tok := b.eval(`String(state.token)`); tok != "null" {
		t.Fatalf("a refused passkey left a token: %s", tok)
	}
}

// strangerParams is WebAuthn.addCredential's parameters, reduced to the
// fields of a plain ES256 credential.
type strangerParams struct {
	AuthenticatorID webauthn.AuthenticatorID `json:"authenticatorId"`
	Credential      strangerCredential       `json:"credential"`
}

type strangerCredential struct {
	CredentialID         []byte `json:"credentialId"`
	IsResidentCredential bool   `json:"isResidentCredential"`
	RpID                 string `json:"rpId"`
	PrivateKey           []byte `json:"privateKey"`
	UserHandle           []byte `json:"userHandle"`
	SignCount            int    `json:"signCount"`
}

// replaceWithStranger empties the authenticator and gives it one
// discoverable credential for this site that no user registered.
func (b *demoBrowser) replaceWithStranger(auth webauthn.AuthenticatorID) {
	b.t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		b.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(b.ctx, demoStepTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, webauthn.ClearCredentials, webauthn.ClearCredentialsParams{AuthenticatorID: auth}); err != nil {
		b.t.Fatalf("WebAuthn.clearCredentials: %v", err)
	}
	// cdproto's Credential always sends generateCmtgKeyOnNextOperation,
	// which Chromium refuses for an authenticator without that extension;
	// send the command with only the fields it needs.
	addCredential := cdp.Command[strangerParams, cdp.Empty]{Method: webauthn.CommandAddCredential}
	if _, err := chromedp.Call(ctx, addCredential, strangerParams{
		AuthenticatorID: auth,
		Credential: strangerCredential{
			CredentialID:         []byte(rand.Text()),
			IsResidentCredential: true,
			RpID:                 "localhost",
			PrivateKey:           pkcs8,
			UserHandle:           []byte(rand.Text()),
		},
	}); err != nil {
		b.t.Fatalf("WebAuthn.addCredential: %v", err)
	}
}
