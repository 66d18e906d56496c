package account

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/phone"
	"github.com/authkit/authkit/verification"
)

// Limits checked before any store call.
const (
	// MaxIDLen is the longest user or credential id, in bytes: 64, so that
	// every user id a Service accepts is also a WebAuthn user handle, which
	// holds at most 64 bytes (W3C WebAuthn Level 3 §5.4.3, and
	// passkey.MaxUserIDLen). The ids a Service makes are 36-byte UUIDs.
	MaxIDLen = 64
	// MaxKeyLen is the longest credential key, in bytes.
	MaxKeyLen = 512
	// maxFieldLen is the longest identity field of a credential (an OAuth
	// account id, a provider name), in bytes.
	maxFieldLen = 255
)

// Credential is a verified credential as a Store keeps it: the wire
// credential and its canonical key. The Service builds it; a Store only
// persists it.
type Credential struct {
	// Key is the canonical identity the credential proves, unique across
	// users: "phoneNumber:+19172113333", "email:jane@example.com",
	// "oauth:github:583231", or what a Config.Formats function returns.
	Key string
	// VerifiedCredential is the credential itself. ID is a fresh random id
	// (a store keeps the existing one when the key is already held);
	// LastSelectedAt is nil (the store sets it); OAuthMetadata is nil.
	authkit.VerifiedCredential
}

// KeyFunc canonicalises a credential of one format: it returns the
// credential in canonical form and its key (without the format prefix,
// which the Service adds), or an error. It must map two credentials to one
// key only when they prove the same identity: a key shared by two people is
// an account takeover.
type KeyFunc func(authkit.VerifiedCredential) (canonical authkit.VerifiedCredential, key string, err error)

// Key returns the canonical form and key of a credential of the built-in
// formats:
//
//   - phoneNumber: the E.164 number (ITU-T E.164), parsed and validated
//     from PhoneCountryCode, PhoneNumber and, when present, IsoCountryCode;
//   - email: the address as verification.NormalizeEmail returns it (validated
//     and lower-cased). Sub-addresses ("+tag") and Gmail dots are not folded:
//     the owner of one mailbox must never inherit the account of another,
//     and only the destination's mail system knows which spellings it
//     delivers to one mailbox;
//   - oauth: the provider and the provider's account id, which OpenID
//     Connect Core 1.0 §5.7 names the only stable identifier of an account
//     (an email from a provider is not a key).
//
// Any other format is ErrInvalidCredential here; a Service accepts more
// through Config.Formats.
func Key(c authkit.VerifiedCredential) (canonical authkit.VerifiedCredential, key string, err error) {
	return keyWith(builtinFormats, c)
}

// keyWith canonicalises c with the key function of its format and adds
// the format prefix, so that keys of different formats never collide.
func keyWith(formats map[authkit.CredentialFormat]KeyFunc, c authkit.VerifiedCredential) (authkit.VerifiedCredential, string, error) {
	f, ok := formats[c.Format]
	if !ok {
		return c, "", fmt.Errorf("%w: no key for format %q", ErrInvalidCredential, c.Format)
	}
	canonical, key, err := f(c)
	if err != nil {
		return c, "", err
	}
	if key == "" {
		return c, "", fmt.Errorf("%w: empty key", ErrInvalidCredential)
	}
	if key, err = formatKey(c.Format, key); err != nil {
		return c, "", err
	}
	canonical.Format = c.Format
	return canonical, key, nil
}

// formatKey is key with its format's prefix, so that keys of different
// formats never collide, checked against MaxKeyLen.
func formatKey(f authkit.CredentialFormat, key string) (string, error) {
	key = string(f) + ":" + key
	if !isPrintable(key, MaxKeyLen) {
		return "", fmt.Errorf("%w: key over %d bytes or not printable", ErrInvalidCredential, MaxKeyLen)
	}
	return key, nil
}

var builtinFormats = map[authkit.CredentialFormat]KeyFunc{
	authkit.FormatPhoneNumber: phoneKey,
	authkit.FormatEmail:       emailKey,
	authkit.FormatOAuth:       oauthKey,
}

func phoneKey(c authkit.VerifiedCredential) (authkit.VerifiedCredential, string, error) {
	if c.PhoneCountryCode == "" || c.PhoneNumber == "" {
		return c, "", fmt.Errorf("%w: phone credential without number", ErrInvalidCredential)
	}
	var n phone.Number
	var err error
	if c.IsoCountryCode != "" {
		n, err = phone.Parse(c.PhoneCountryCode, c.PhoneNumber, c.IsoCountryCode)
	} else {
		n, err = phone.ParseE164("+" + strings.TrimPrefix(c.PhoneCountryCode, "+") + c.PhoneNumber)
	}
	if err != nil {
		return c, "", fmt.Errorf("%w: %w", ErrInvalidCredential, err)
	}
	return phoneCredential(n.CallingCode, n.NationalNumber, n.Region, n.E164), n.E164, nil
}

// phoneCredential is the stored form of a validated phone number.
func phoneCredential(callingCode, national, region, e164 string) authkit.VerifiedCredential {
	return authkit.VerifiedCredential{
		Format:           authkit.FormatPhoneNumber,
		PhoneNumber:      national,
		PhoneCountryCode: callingCode,
		IsoCountryCode:   region,
		PublicIdentifier: e164,
		SignInEnabled:    true,
	}
}

func emailKey(c authkit.VerifiedCredential) (authkit.VerifiedCredential, string, error) {
	e, err := verification.NormalizeEmail(c.Email)
	if err != nil {
		return c, "", fmt.Errorf("%w: %w", ErrInvalidCredential, err)
	}
	return emailCredential(e), e, nil
}

// emailCredential is the stored form of a normalized address.
func emailCredential(e string) authkit.VerifiedCredential {
	return authkit.VerifiedCredential{Format: authkit.FormatEmail, Email: e, PublicIdentifier: e, SignInEnabled: true}
}

func oauthKey(c authkit.VerifiedCredential) (authkit.VerifiedCredential, string, error) {
	p, id := string(c.OAuthProvider), c.OAuthAccountID
	if !isToken(p, 64) {
		return c, "", fmt.Errorf("%w: oauth provider must be 1-64 of [A-Za-z0-9._-]", ErrInvalidCredential)
	}
	if !isPrintable(id, maxFieldLen) {
		return c, "", fmt.Errorf("%w: oauth account id must be 1-%d printable characters", ErrInvalidCredential, maxFieldLen)
	}
	for _, s := range append([]string{c.OAuthUsername, c.OAuthDisplayName, c.PublicIdentifier}, c.OAuthEmails...) {
		if s != "" && !isPrintable(s, maxFieldLen) {
			return c, "", fmt.Errorf("%w: oauth profile field over-long or not printable", ErrInvalidCredential)
		}
	}
	if len(c.OAuthEmails) > 32 || len(c.OAuthAccountPhotos) > 32 {
		return c, "", fmt.Errorf("%w: too many oauth emails or photos", ErrInvalidCredential)
	}
	for _, s := range c.OAuthAccountPhotos {
		if len(s) > 2048 || !utf8.ValidString(s) {
			return c, "", fmt.Errorf("%w: oauth photo URL over-long", ErrInvalidCredential)
		}
	}
	out := authkit.VerifiedCredential{
		Format:             authkit.FormatOAuth,
		SignInEnabled:      true,
		PublicIdentifier:   c.PublicIdentifier,
		OAuthProvider:      c.OAuthProvider,
		OAuthAccountID:     id,
		OAuthUsername:      c.OAuthUsername,
		OAuthDisplayName:   c.OAuthDisplayName,
		OAuthEmails:        append([]string(nil), c.OAuthEmails...),
		OAuthAccountPhotos: append([]string(nil), c.OAuthAccountPhotos...),
		// The raw provider profile is not kept: the SDK's user does not
		// show it and it may hold more than the host needs.
	}
	// The provider name is case-sensitive on the wire but one provider:
	// the key lower-cases it so "GitHub" and "github" are one account.
	return out, strings.ToLower(p) + ":" + id, nil
}

// isToken reports whether s is 1-max bytes of [A-Za-z0-9._-].
func isToken(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// isPrintable reports whether s is 1-max bytes of valid UTF-8 without
// control characters.
func isPrintable(s string, max int) bool {
	if s == "" || len(s) > max || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// ValidID reports whether id may name a user or a credential: 1 to
// MaxIDLen bytes of [A-Za-z0-9._~:@-]. UUIDs, ULIDs, integers and most
// host id schemes fit.
func ValidID(id string) bool {
	if id == "" || len(id) > MaxIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '.' || c == '_' || c == '~' || c == ':' || c == '@' || c == '-') {
			return false
		}
	}
	return true
}
