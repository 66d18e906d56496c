package session

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/authkit/authkit"
)

// The claim set's JSON, written and read by hand: encoding/json's
// reflection was most of what minting and verifying cost beyond the
// signature itself. The reader decodes exactly what encoding/json decoded
// into the struct before (member names matched exactly, else
// case-insensitively; null leaves a value alone and clears a pointer or
// slice) with two rules more: a claim may appear once (RFC 7519 §4), and
// exp, nbf, iat and auth_time must be JSON numbers (RFC 7519 §2, NumericDate), not strings
// or null, so that no other JWT library reads a different token (RFC 8725
// §2.8). Nested structures that only the full token carries (credentials,
// visit times) go through encoding/json itself.

// errClaimsJSON is wrapped in errMalformed by the verifier.
var errClaimsJSON = errors.New("claims are not a valid claim set")

// maxJSONDepth bounds nesting in skipped values (encoding/json's limit).
const maxJSONDepth = 10000

// appendClaims writes c as the JSON object encoding/json wrote for it:
// fields in declaration order; iss, sub, aud, sid, jti and environment_id
// always; missing_fields and verified_credentials when non-nil (an empty
// list is written as []); every other member only when set.
func appendClaims(b []byte, c *Claims) ([]byte, error) {
	b = append(b, `{"iss":`...)
	b = appendString(b, c.Issuer)
	b = append(b, `,"sub":`...)
	b = appendString(b, c.Subject)
	b = append(b, `,"aud":`...)
	switch len(c.Audience) {
	case 0:
		b = append(b, "null"...)
	case 1:
		b = appendString(b, c.Audience[0])
	default:
		b = appendStrings(b, c.Audience)
	}
	b = appendTime(b, `,"exp":`, c.ExpiresAt)
	b = appendTime(b, `,"nbf":`, c.NotBefore)
	b = appendTime(b, `,"iat":`, c.IssuedAt)
	b = append(b, `,"jti":`...)
	b = appendString(b, c.ID)
	b = appendOpt(b, `,"kid":`, c.KeyID)
	b = append(b, `,"sid":`...)
	b = appendString(b, c.SessionID)
	if c.Generation != 0 {
		b = strconv.AppendUint(append(b, `,"gen":`...), c.Generation, 10)
	}
	b = append(b, `,"environment_id":`...)
	b = appendString(b, c.EnvironmentID)
	b = appendOpt(b, `,"client_id":`, c.ClientID)
	b = appendOpt(b, `,"scope":`, c.Scope)
	b = appendOpt(b, `,"pending_scope":`, c.PendingScope)
	b = appendOpt(b, `,"alias":`, c.Alias)
	b = appendOpt(b, `,"email":`, c.Email)
	b = appendOpt(b, `,"username":`, c.Username)
	b = appendOpt(b, `,"given_name":`, c.GivenName)
	b = appendOpt(b, `,"family_name":`, c.FamilyName)
	if len(c.Lists) > 0 {
		b = appendStrings(append(b, `,"lists":`...), c.Lists)
	}
	var err error
	switch {
	case c.MissingFields == nil:
	case len(c.MissingFields) == 0:
		// What every full token carries: no reflection for it.
		b = append(b, `,"missing_fields":[]`...)
	default:
		if b, err = appendMarshal(append(b, `,"missing_fields":`...), c.MissingFields); err != nil {
			return nil, err
		}
	}
	if b, err = appendVisit(b, `,"first_visit":`, c.FirstVisit); err != nil {
		return nil, err
	}
	if b, err = appendVisit(b, `,"last_visit":`, c.LastVisit); err != nil {
		return nil, err
	}
	if c.NewUser != nil {
		b = strconv.AppendBool(append(b, `,"new_user":`...), *c.NewUser)
	}
	if c.VerifiedCredentials != nil {
		b = append(b, `,"verified_credentials":[`...)
		for i := range c.VerifiedCredentials {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendCredential(b, &c.VerifiedCredentials[i]); err != nil {
				return nil, err
			}
		}
		b = append(b, ']')
	}
	if c.VerifiedAccount != nil {
		if b, err = appendCredential(append(b, `,"verified_account":`...), c.VerifiedAccount); err != nil {
			return nil, err
		}
	}
	b = appendOpt(b, `,"last_verified_credential_id":`, c.LastVerifiedCredentialID)
	b = appendOpt(b, `,"signin_credential_id":`, c.SigninCredentialID)
	if h := c.VerifiedCredentialsHashes; h != nil {
		b = append(b, `,"verifiedCredentialsHashes":{"blockchain":`...)
		b = appendString(b, h.Blockchain)
		b = append(b, `,"email":`...)
		b = appendString(b, h.Email)
		b = append(b, `,"oauth":`...)
		b = appendString(b, h.OAuth)
		b = append(b, `,"phoneNumber":`...)
		b = appendString(b, h.PhoneNumber)
		b = append(b, `,"externalUser":`...)
		b = appendString(b, h.ExternalUser)
		b = append(b, '}')
	}
	b = appendOpt(b, `,"session_public_key":`, c.SessionPublicKey)
	b = appendOpt(b, `,"device_public_key":`, c.DevicePublicKey)
	b = appendTime(b, `,"auth_time":`, c.AuthTime)
	if len(c.AMR) > 0 {
		b = appendStrings(append(b, `,"amr":`...), c.AMR)
	}
	if c.SingleUse {
		b = append(b, `,"single_use":true`...)
	}
	return append(b, '}'), nil
}

// appendCredential writes a credential as encoding/json does. One that
// uses a nested or raw member (a wallet's name service, properties or
// extra addresses, OAuth metadata, a selection time) goes through
// encoding/json; the common ones are written here.
func appendCredential(b []byte, v *authkit.VerifiedCredential) ([]byte, error) {
	if v.NameService != nil || len(v.WalletProperties) > 0 || len(v.WalletAdditionalAddresses) > 0 ||
		len(v.OAuthMetadata) > 0 || v.LastSelectedAt != nil {
		return appendMarshal(b, v)
	}
	b = append(b, `{"id":`...)
	b = appendString(b, v.ID)
	b = append(b, `,"format":`...)
	b = appendString(b, string(v.Format))
	b = strconv.AppendBool(append(b, `,"signInEnabled":`...), v.SignInEnabled)
	b = appendOpt(b, `,"address":`, v.Address)
	b = appendOpt(b, `,"chain":`, v.Chain)
	b = appendOpt(b, `,"refId":`, v.RefID)
	b = appendOpt(b, `,"signerRefId":`, v.SignerRefID)
	b = appendOpt(b, `,"wallet_name":`, v.WalletName)
	b = appendOpt(b, `,"wallet_provider":`, v.WalletProvider)
	b = appendOpt(b, `,"embedded_wallet_id":`, v.EmbeddedWalletID)
	b = appendOpt(b, `,"email":`, v.Email)
	b = appendOpt(b, `,"public_identifier":`, v.PublicIdentifier)
	b = appendOpt(b, `,"phoneNumber":`, v.PhoneNumber)
	b = appendOpt(b, `,"phoneCountryCode":`, v.PhoneCountryCode)
	b = appendOpt(b, `,"isoCountryCode":`, v.IsoCountryCode)
	b = appendOpt(b, `,"oauth_provider":`, string(v.OAuthProvider))
	b = appendOpt(b, `,"oauth_username":`, v.OAuthUsername)
	b = appendOpt(b, `,"oauth_display_name":`, v.OAuthDisplayName)
	b = appendOpt(b, `,"oauth_account_id":`, v.OAuthAccountID)
	if len(v.OAuthAccountPhotos) > 0 {
		b = appendStrings(append(b, `,"oauth_account_photos":`...), v.OAuthAccountPhotos)
	}
	if len(v.OAuthEmails) > 0 {
		b = appendStrings(append(b, `,"oauth_emails":`...), v.OAuthEmails)
	}
	if len(v.PreviousUsers) > 0 {
		b = appendStrings(append(b, `,"previous_users":`...), v.PreviousUsers)
	}
	return append(b, '}'), nil
}

func appendOpt(b []byte, name, s string) []byte {
	if s == "" {
		return b
	}
	return appendString(append(b, name...), s)
}

// appendTime writes a NumericDate in whole seconds; the zero time is absent.
func appendTime(b []byte, name string, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	return strconv.AppendInt(append(b, name...), t.Unix(), 10)
}

// appendVisit writes a visit time as encoding/json does through
// time.Time's MarshalJSON (RFC 3339 with nanoseconds, quoted); nil is absent.
func appendVisit(b []byte, name string, t *time.Time) ([]byte, error) {
	if t == nil {
		return b, nil
	}
	b, err := t.AppendText(append(append(b, name...), '"'))
	if err != nil {
		return nil, err
	}
	return append(b, '"'), nil
}

func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

func appendMarshal(b []byte, v any) ([]byte, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, j...), nil
}

// appendString writes s as encoding/json does. Printable ASCII other than
// the characters encoding/json escapes is copied; anything else takes
// encoding/json's own path, so the output is byte for byte the same.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if !plainJSON[s[i]] {
			j, _ := json.Marshal(s) // a string always marshals
			return append(b, j...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// plainJSON marks the bytes appendString copies as they are: printable
// ASCII but for the quote, the backslash and the three characters
// encoding/json escapes for HTML (<, >, &).
var plainJSON = func() (t [256]bool) {
	for c := 0x20; c <= 0x7e; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// plainString marks the bytes str passes over without a second look:
// printable ASCII but for the quote and the backslash.
var plainString = func() (t [256]bool) {
	for c := 0x20; c <= 0x7e; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// claimField identifies a Claims member in the decoder.
type claimField uint8

const (
	fUnknown claimField = iota
	fIss
	fSub
	fAud
	fExp
	fNbf
	fIat
	fJti
	fKid
	fSid
	fGen
	fEnv
	fClientID
	fScope
	fPendingScope
	fAlias
	fEmail
	fUsername
	fGivenName
	fFamilyName
	fLists
	fMissingFields
	fFirstVisit
	fLastVisit
	fNewUser
	fVerifiedCredentials
	fVerifiedAccount
	fLastVerifiedCredentialID
	fSigninCredentialID
	fHashes
	fSessionPublicKey
	fDevicePublicKey
	fAuthTime
	fAMR
	fSingleUse
	fCount
)

// claimNames are the JSON names, indexed by claimField.
var claimNames = [fCount]string{
	"", "iss", "sub", "aud", "exp", "nbf", "iat", "jti", "kid", "sid", "gen",
	"environment_id", "client_id", "scope", "pending_scope", "alias", "email",
	"username", "given_name", "family_name", "lists", "missing_fields",
	"first_visit", "last_visit", "new_user", "verified_credentials",
	"verified_account", "last_verified_credential_id", "signin_credential_id",
	"verifiedCredentialsHashes", "session_public_key", "device_public_key",
	"auth_time", "amr", "single_use",
}

// lookupClaim matches a member name as encoding/json does: exactly, else
// case-insensitively (Unicode simple folding).
func lookupClaim(name string) claimField {
	switch name {
	case "iss":
		return fIss
	case "sub":
		return fSub
	case "aud":
		return fAud
	case "exp":
		return fExp
	case "nbf":
		return fNbf
	case "iat":
		return fIat
	case "jti":
		return fJti
	case "kid":
		return fKid
	case "sid":
		return fSid
	case "gen":
		return fGen
	case "environment_id":
		return fEnv
	case "client_id":
		return fClientID
	case "scope":
		return fScope
	case "email":
		return fEmail
	case "username":
		return fUsername
	case "last_verified_credential_id":
		return fLastVerifiedCredentialID
	case "signin_credential_id":
		return fSigninCredentialID
	case "verifiedCredentialsHashes":
		return fHashes
	case "pending_scope":
		return fPendingScope
	case "alias":
		return fAlias
	case "given_name":
		return fGivenName
	case "family_name":
		return fFamilyName
	case "lists":
		return fLists
	case "missing_fields":
		return fMissingFields
	case "first_visit":
		return fFirstVisit
	case "last_visit":
		return fLastVisit
	case "new_user":
		return fNewUser
	case "verified_credentials":
		return fVerifiedCredentials
	case "verified_account":
		return fVerifiedAccount
	case "session_public_key":
		return fSessionPublicKey
	case "device_public_key":
		return fDevicePublicKey
	case "auth_time":
		return fAuthTime
	case "amr":
		return fAMR
	case "single_use":
		return fSingleUse
	}
	for f := fIss; f < fCount; f++ {
		if strings.EqualFold(name, claimNames[f]) {
			return f
		}
	}
	return fUnknown
}

// decodeClaims reads a claim set into c (see the top of this file).
func decodeClaims(s string, c *Claims) error {
	d := jsonReader{s: s}
	var seen uint64
	if !d.object(func(name string) bool {
		f := lookupClaim(name)
		if f != fUnknown {
			// RFC 7519 §4 lets a parser refuse duplicate claims; it
			// removes any question of which one another library reads.
			if seen&(1<<f) != 0 {
				return false
			}
			seen |= 1 << f
		}
		return d.claim(c, f)
	}) {
		return errClaimsJSON
	}
	if d.space(); d.i != len(s) {
		return errClaimsJSON
	}
	return nil
}

// jsonReader reads JSON from s at i. Its methods report false on input
// that is not valid JSON or does not fit the target.
type jsonReader struct {
	s     string
	i     int
	depth int
}

func (d *jsonReader) space() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// peek skips space and returns the next byte (0 at the end).
func (d *jsonReader) peek() byte {
	d.space()
	if d.i >= len(d.s) {
		return 0
	}
	return d.s[d.i]
}

// literal consumes lit if it comes next.
func (d *jsonReader) literal(lit string) bool {
	if strings.HasPrefix(d.s[d.i:], lit) {
		d.i += len(lit)
		return true
	}
	return false
}

// null consumes a null if one comes next.
func (d *jsonReader) null() bool { return d.peek() == 'n' && d.literal("null") }

// object reads an object, calling member with each name; member must
// consume the value.
func (d *jsonReader) object(member func(name string) bool) bool {
	if d.peek() != '{' {
		return false
	}
	d.i++
	if d.peek() == '}' {
		d.i++
		return true
	}
	for {
		name, ok := d.str()
		if !ok || d.peek() != ':' {
			return false
		}
		d.i++
		if !member(name) {
			return false
		}
		switch d.peek() {
		case ',':
			d.i++
		case '}':
			d.i++
			return true
		default:
			return false
		}
	}
}

// array reads an array, calling elem for each element.
func (d *jsonReader) array(elem func() bool) bool {
	if d.peek() != '[' {
		return false
	}
	d.i++
	if d.peek() == ']' {
		d.i++
		return true
	}
	for {
		if !elem() {
			return false
		}
		switch d.peek() {
		case ',':
			d.i++
		case ']':
			d.i++
			return true
		default:
			return false
		}
	}
}

// str reads a string. Plain printable text is a substring of s; escapes
// and non-ASCII text are decoded by encoding/json (which also replaces
// invalid UTF-8 as it always did).
func (d *jsonReader) str() (string, bool) {
	if d.peek() != '"' {
		return "", false
	}
	start := d.i
	// Most strings are printable ASCII without escapes: one tight loop
	// finds their end.
	i := start + 1
	for i < len(d.s) && plainString[d.s[i]] {
		i++
	}
	if i < len(d.s) && d.s[i] == '"' {
		d.i = i + 1
		return d.s[start+1 : i], true
	}
	// The bytes before i are plain: the full scan resumes at i.
	plain := true
	for ; i < len(d.s); i++ {
		switch c := d.s[i]; {
		case c == '"':
			d.i = i + 1
			if plain {
				return d.s[start+1 : i], true
			}
			var v string
			if json.Unmarshal([]byte(d.s[start:d.i]), &v) != nil {
				return "", false
			}
			return v, true
		case c < 0x20:
			return "", false
		case c == '\\':
			plain = false
			i++
			if i >= len(d.s) {
				return "", false
			}
			switch d.s[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(d.s) {
					return "", false
				}
				for _, h := range []byte(d.s[i+1 : i+5]) {
					if !isHex(h) {
						return "", false
					}
				}
				i += 4
			default:
				return "", false
			}
		case c >= utf8.RuneSelf:
			plain = false
		}
	}
	return "", false
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// number reads a number in JSON's grammar and returns its text.
func (d *jsonReader) number() (string, bool) {
	d.space()
	s, i := d.s, d.i
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return "", false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return "", false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return "", false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	n := s[d.i:i]
	d.i = i
	return n, true
}

// skip reads and validates any value.
func (d *jsonReader) skip() bool {
	switch d.peek() {
	case '"':
		_, ok := d.str()
		return ok
	case '{', '[':
		if d.depth++; d.depth > maxJSONDepth {
			return false
		}
		var ok bool
		if d.s[d.i] == '{' {
			ok = d.object(func(string) bool { return d.skip() })
		} else {
			ok = d.array(d.skip)
		}
		d.depth--
		return ok
	case 't':
		return d.literal("true")
	case 'f':
		return d.literal("false")
	case 'n':
		return d.literal("null")
	}
	_, ok := d.number()
	return ok
}

// raw reads any value and returns its text, for encoding/json.
func (d *jsonReader) raw() (string, bool) {
	start := d.i
	if !d.skip() {
		return "", false
	}
	return d.s[start:d.i], true
}

// setString reads a string into *p; null leaves it alone.
func (d *jsonReader) setString(p *string) bool {
	if d.null() {
		return true
	}
	v, ok := d.str()
	if ok {
		*p = v
	}
	return ok
}

// setStrings reads an array of strings into *p as encoding/json does:
// null clears it; elements are decoded over the old backing array, so a
// null element keeps what was there.
func (d *jsonReader) setStrings(p *[]string) bool {
	if d.null() {
		*p = nil
		return true
	}
	old := (*p)[:cap(*p)]
	out := old[:0]
	ok := d.array(func() bool {
		var v string
		if i := len(out); i < len(old) {
			v = old[i]
		}
		if !d.setString(&v) {
			return false
		}
		out = append(out, v)
		return true
	})
	if ok {
		if out == nil {
			out = []string{}
		}
		*p = out
	}
	return ok
}

// numericDate reads a NumericDate as golang-jwt read it: a number of
// seconds, possibly fractional, truncated to the second.
func (d *jsonReader) numericDate(p *time.Time) bool {
	n, ok := d.number()
	if !ok {
		return false
	}
	if len(n) <= 15 && !strings.ContainsAny(n, ".eE") {
		sec, err := strconv.ParseInt(n, 10, 64)
		*p = time.Unix(sec, 0)
		return err == nil
	}
	f, err := strconv.ParseFloat(n, 64)
	if err != nil {
		return false
	}
	round, frac := math.Modf(f)
	*p = time.Unix(int64(round), int64(frac*1e9)).Truncate(time.Second)
	return true
}

// unmarshal hands one value to encoding/json.
func (d *jsonReader) unmarshal(v any) bool {
	raw, ok := d.raw()
	return ok && json.Unmarshal([]byte(raw), v) == nil
}

// emptyArray consumes a [] if one comes next.
func (d *jsonReader) emptyArray() bool {
	if d.peek() != '[' {
		return false
	}
	i := d.i
	d.i++
	if d.peek() == ']' {
		d.i++
		return true
	}
	d.i = i
	return false
}

// visit reads a visit time as encoding/json does: null clears the
// pointer; anything else goes to time.Time's UnmarshalJSON (a quoted RFC
// 3339 time) in the value pointed to, allocated when nil.
func (d *jsonReader) visit(p **time.Time) bool {
	if d.null() {
		*p = nil
		return true
	}
	raw, ok := d.raw()
	if !ok {
		return false
	}
	if *p == nil {
		*p = new(time.Time)
	}
	return (*p).UnmarshalJSON([]byte(raw)) == nil
}

// smallCredentials is how many credentials credentials reads without
// allocating more than the final slice.
const smallCredentials = 4

// credentials reads a credential array as encoding/json does into a nil
// slice ([] gives an empty one). The elements are read into a buffer on
// the stack, so that a short list costs one allocation of its exact size.
func (d *jsonReader) credentials(p *[]authkit.VerifiedCredential) bool {
	var buf [smallCredentials]authkit.VerifiedCredential
	var long []authkit.VerifiedCredential // past smallCredentials
	n := 0
	ok := d.array(func() bool {
		if n < len(buf) {
			n++
			return d.credential(&buf[n-1])
		}
		if long == nil {
			long = append(make([]authkit.VerifiedCredential, 0, 2*len(buf)), buf[:]...)
		}
		long = append(long, authkit.VerifiedCredential{})
		return d.credential(&long[len(long)-1])
	})
	if long == nil {
		long = make([]authkit.VerifiedCredential, n)
		copy(long, buf[:n])
	}
	*p = long
	return ok
}

// credential reads one credential. One that has only the members Mint
// writes for a common credential is read here; any other goes to the
// credential's own UnmarshalJSON (camelCase aliases, nested members).
func (d *jsonReader) credential(v *authkit.VerifiedCredential) bool {
	if d.null() {
		return true
	}
	start := d.i
	common := true
	ok := d.object(func(name string) bool {
		if !common {
			return d.skip()
		}
		var p *string
		switch name {
		case "id":
			p = &v.ID
		case "format":
			f := string(v.Format)
			ok := d.setString(&f)
			v.Format = authkit.CredentialFormat(f)
			return ok
		case "signInEnabled":
			switch {
			case d.null():
			case d.literal("true"):
				v.SignInEnabled = true
			case d.literal("false"):
				v.SignInEnabled = false
			default:
				return false
			}
			return true
		case "address":
			p = &v.Address
		case "chain":
			p = &v.Chain
		case "refId":
			p = &v.RefID
		case "signerRefId":
			p = &v.SignerRefID
		case "wallet_name":
			p = &v.WalletName
		case "wallet_provider":
			p = &v.WalletProvider
		case "embedded_wallet_id":
			p = &v.EmbeddedWalletID
		case "email":
			p = &v.Email
		case "public_identifier":
			p = &v.PublicIdentifier
		case "phoneNumber":
			p = &v.PhoneNumber
		case "phoneCountryCode":
			p = &v.PhoneCountryCode
		case "isoCountryCode":
			p = &v.IsoCountryCode
		case "oauth_username":
			p = &v.OAuthUsername
		case "oauth_display_name":
			p = &v.OAuthDisplayName
		case "oauth_account_id":
			p = &v.OAuthAccountID
		case "oauth_provider":
			f := string(v.OAuthProvider)
			ok := d.setString(&f)
			v.OAuthProvider = authkit.ProviderType(f)
			return ok
		case "oauth_account_photos":
			return d.setStrings(&v.OAuthAccountPhotos)
		case "oauth_emails":
			return d.setStrings(&v.OAuthEmails)
		case "previous_users":
			return d.setStrings(&v.PreviousUsers)
		default:
			common = false
			return d.skip()
		}
		return d.setString(p)
	})
	if ok && !common {
		// Decoded in a copy, so that v does not escape and a short list
		// (credentials) can stay on the stack.
		var w authkit.VerifiedCredential
		ok = json.Unmarshal([]byte(d.s[start:d.i]), &w) == nil
		*v = w
	}
	return ok
}

// claim reads the value of member f into c.
func (d *jsonReader) claim(c *Claims, f claimField) bool {
	switch f {
	case fIss:
		return d.setString(&c.Issuer)
	case fSub:
		return d.setString(&c.Subject)
	case fAud:
		if d.null() {
			return true
		}
		if d.peek() == '"' {
			v, ok := d.str()
			c.Audience = []string{v}
			return ok
		}
		var aud []string
		ok := d.array(func() bool {
			v, ok := d.str() // null is not an audience
			aud = append(aud, v)
			return ok
		})
		c.Audience = aud
		return ok
	case fExp:
		return d.numericDate(&c.ExpiresAt)
	case fNbf:
		return d.numericDate(&c.NotBefore)
	case fIat:
		return d.numericDate(&c.IssuedAt)
	case fAuthTime:
		return d.numericDate(&c.AuthTime)
	case fJti:
		return d.setString(&c.ID)
	case fKid:
		return d.setString(&c.KeyID)
	case fSid:
		return d.setString(&c.SessionID)
	case fGen:
		if d.null() {
			return true
		}
		n, ok := d.number()
		if !ok {
			return false
		}
		g, err := strconv.ParseUint(n, 10, 64)
		c.Generation = g
		return err == nil
	case fEnv:
		return d.setString(&c.EnvironmentID)
	case fClientID:
		return d.setString(&c.ClientID)
	case fScope:
		return d.setString(&c.Scope)
	case fPendingScope:
		return d.setString(&c.PendingScope)
	case fAlias:
		return d.setString(&c.Alias)
	case fEmail:
		return d.setString(&c.Email)
	case fUsername:
		return d.setString(&c.Username)
	case fGivenName:
		return d.setString(&c.GivenName)
	case fFamilyName:
		return d.setString(&c.FamilyName)
	case fLists:
		return d.setStrings(&c.Lists)
	case fAMR:
		return d.setStrings(&c.AMR)
	case fMissingFields:
		if d.emptyArray() {
			// What every full token carries: no reflection for it.
			if c.MissingFields == nil {
				c.MissingFields = []authkit.ProjectSettingsKyc{}
			}
			c.MissingFields = c.MissingFields[:0]
			return true
		}
		return d.unmarshal(&c.MissingFields)
	case fFirstVisit:
		return d.visit(&c.FirstVisit)
	case fLastVisit:
		return d.visit(&c.LastVisit)
	case fVerifiedCredentials:
		if d.null() {
			c.VerifiedCredentials = nil
			return true
		}
		return d.credentials(&c.VerifiedCredentials)
	case fVerifiedAccount:
		if d.null() {
			c.VerifiedAccount = nil
			return true
		}
		// encoding/json decodes into the value already pointed to; the
		// credential's UnmarshalJSON then replaces all of it.
		v := c.VerifiedAccount
		if v == nil {
			v = new(authkit.VerifiedCredential)
		} else {
			*v = authkit.VerifiedCredential{}
		}
		c.VerifiedAccount = v
		return d.credential(v)
	case fNewUser:
		switch {
		case d.null():
			c.NewUser = nil
			return true
		case d.literal("true"):
			c.NewUser = &[]bool{true}[0]
			return true
		case d.literal("false"):
			c.NewUser = new(bool)
			return true
		}
		return false
	case fSingleUse:
		switch {
		case d.null():
			return true
		case d.literal("true"):
			c.SingleUse = true
			return true
		case d.literal("false"):
			c.SingleUse = false
			return true
		}
		return false
	case fSessionPublicKey:
		return d.setString(&c.SessionPublicKey)
	case fDevicePublicKey:
		return d.setString(&c.DevicePublicKey)
	case fLastVerifiedCredentialID:
		return d.setString(&c.LastVerifiedCredentialID)
	case fSigninCredentialID:
		return d.setString(&c.SigninCredentialID)
	case fHashes:
		if d.null() {
			c.VerifiedCredentialsHashes = nil
			return true
		}
		h := c.VerifiedCredentialsHashes
		if h == nil {
			h = new(CredentialHashes)
		}
		ok := d.object(func(name string) bool {
			switch name { // the names Mint writes, before the folded match
			case "blockchain":
				return d.setString(&h.Blockchain)
			case "email":
				return d.setString(&h.Email)
			case "oauth":
				return d.setString(&h.OAuth)
			case "phoneNumber":
				return d.setString(&h.PhoneNumber)
			case "externalUser":
				return d.setString(&h.ExternalUser)
			}
			switch {
			case strings.EqualFold(name, "blockchain"):
				return d.setString(&h.Blockchain)
			case strings.EqualFold(name, "email"):
				return d.setString(&h.Email)
			case strings.EqualFold(name, "oauth"):
				return d.setString(&h.OAuth)
			case strings.EqualFold(name, "phoneNumber"):
				return d.setString(&h.PhoneNumber)
			case strings.EqualFold(name, "externalUser"):
				return d.setString(&h.ExternalUser)
			}
			return d.skip()
		})
		c.VerifiedCredentialsHashes = h
		return ok
	}
	return d.skip()
}
