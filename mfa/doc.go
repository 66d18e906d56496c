// Package mfa implements second factors: TOTP authenticator devices
// (RFC 6238), recovery codes and short-lived MFA tokens.
package mfa
