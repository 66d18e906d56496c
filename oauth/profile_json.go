package oauth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// profileSources are the documents a sign-in collected about the account.
// Each mapping function reads the ones its provider supplies.
type profileSources struct {
	// Claims are the verified ID token's claims (OpenID providers).
	Claims json.RawMessage
	// UserInfo is the body of the provider's user-info (profile) endpoint.
	UserInfo json.RawMessage
	// Emails is the body of a separate emails endpoint (GitHub, Bitbucket).
	Emails json.RawMessage
	// CallbackUser is Apple's first-sign-in "user" JSON (unverified).
	CallbackUser json.RawMessage
}

// raw returns the profile kept in Identity.Raw: the single source as is,
// or an object naming each source when there are several.
func (s profileSources) raw() json.RawMessage {
	parts := []struct {
		key string
		val json.RawMessage
	}{{"id_token_claims", s.Claims}, {"userinfo", s.UserInfo}, {"emails", s.Emails}, {"callback_user", s.CallbackUser}}
	n, last := 0, json.RawMessage(nil)
	for _, p := range parts {
		if len(p.val) > 0 {
			n++
			last = p.val
		}
	}
	if n <= 1 {
		return last
	}
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	for _, p := range parts {
		if len(p.val) == 0 {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		fmt.Fprintf(&b, "%q:", p.key)
		b.Write(p.val)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// errNoAccountID is returned by a mapping when the profile has no id.
var errNoAccountID = errors.New("profile has no account id")

// flexString decodes a JSON string or number (GitHub's numeric ids).
type flexString string

// UnmarshalJSON accepts a string, a number or null.
func (f *flexString) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	if string(b) == "null" {
		*f = ""
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = flexString(n.String())
	return nil
}

// flexBool decodes true/false or "true"/"false" (Apple sends strings).
type flexBool bool

// UnmarshalJSON accepts a boolean, a boolean string or null.
func (f *flexBool) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v, _ := strconv.ParseBool(s)
		*f = flexBool(v)
		return nil
	}
	if string(b) == "null" {
		*f = false
		return nil
	}
	var v bool
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = flexBool(v)
	return nil
}

// stdClaims are the OpenID Connect standard claims (Core §5.1).
type stdClaims struct {
	Sub               flexString `json:"sub"`
	Name              string     `json:"name"`
	GivenName         string     `json:"given_name"`
	FamilyName        string     `json:"family_name"`
	Nickname          string     `json:"nickname"`
	PreferredUsername string     `json:"preferred_username"`
	Email             string     `json:"email"`
	EmailVerified     flexBool   `json:"email_verified"`
	Picture           string     `json:"picture"`
}

// decode unmarshals raw into v when raw is present.
func decode(raw json.RawMessage, v any) error {
	if len(raw) == 0 {
		return nil
	}
	return json.Unmarshal(raw, v)
}

// mergedStdClaims reads the ID token claims and the user-info body, the
// ID token winning. When both carry a sub they must agree (OIDC Core
// §5.3.2): otherwise the user-info response may belong to someone else.
func mergedStdClaims(src profileSources) (stdClaims, error) {
	var c, u stdClaims
	if err := decode(src.Claims, &c); err != nil {
		return c, fmt.Errorf("id token claims: %w", err)
	}
	if err := decode(src.UserInfo, &u); err != nil {
		return c, fmt.Errorf("userinfo: %w", err)
	}
	if c.Sub != "" && u.Sub != "" && c.Sub != u.Sub {
		return c, errors.New("userinfo sub differs from the ID token's")
	}
	fill := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	fill((*string)(&c.Sub), string(u.Sub))
	fill(&c.Name, u.Name)
	fill(&c.GivenName, u.GivenName)
	fill(&c.FamilyName, u.FamilyName)
	fill(&c.Nickname, u.Nickname)
	fill(&c.PreferredUsername, u.PreferredUsername)
	fill(&c.Picture, u.Picture)
	if c.Email == "" {
		c.Email, c.EmailVerified = u.Email, u.EmailVerified
	}
	return c, nil
}

// checkUserInfoSubject enforces OpenID Connect Core §5.3.2: the user-info
// response of an OpenID provider is used only when its sub is exactly the
// verified ID token's. A missing sub counts as a mismatch: otherwise a
// response about another account (a token substitution, a mix-up, a
// misrouted request) would lend its emails and names to this sign-in.
// Both must be JSON strings (Core §2, §5.1); a numeric sub is not "exactly"
// the same claim.
func checkUserInfoSubject(claims, userInfo json.RawMessage) error {
	var tok, info struct {
		Sub *string `json:"sub"`
	}
	if err := json.Unmarshal(claims, &tok); err != nil || tok.Sub == nil || *tok.Sub == "" {
		return fmt.Errorf("%w: the ID token has no sub", ErrInvalidIDToken)
	}
	if err := json.Unmarshal(userInfo, &info); err != nil || info.Sub == nil {
		return fmt.Errorf("%w: no string sub in the user-info response", ErrUserInfoSubjectMismatch)
	}
	if *info.Sub != *tok.Sub {
		return ErrUserInfoSubjectMismatch
	}
	return nil
}

// joinName returns "given family" trimmed.
func joinName(given, family string) string {
	switch {
	case given == "":
		return family
	case family == "":
		return given
	}
	return given + " " + family
}

func photos(urls ...string) []string {
	var out []string
	for _, u := range urls {
		if u != "" {
			out = append(out, u)
		}
	}
	return out
}

func emails(addr string, verified bool) []Email {
	if addr == "" {
		return nil
	}
	return []Email{{Address: addr, Verified: verified, Primary: true}}
}
