package session

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authkit/authkit"
	"github.com/golang-jwt/jwt/v5"
)

// oracleClaims is the claim set as encoding/json and golang-jwt decoded it
// before the hand-written decoder: the oracle the decoder must agree with.
type oracleClaims struct {
	Issuer                    string                       `json:"iss"`
	Subject                   string                       `json:"sub"`
	Audience                  jwt.ClaimStrings             `json:"aud"`
	ExpiresAt                 *jwt.NumericDate             `json:"exp"`
	NotBefore                 *jwt.NumericDate             `json:"nbf,omitempty"`
	IssuedAt                  *jwt.NumericDate             `json:"iat"`
	ID                        string                       `json:"jti"`
	KeyID                     string                       `json:"kid,omitempty"`
	SessionID                 string                       `json:"sid"`
	Generation                uint64                       `json:"gen,omitempty"`
	EnvironmentID             string                       `json:"environment_id"`
	ClientID                  string                       `json:"client_id,omitempty"`
	Scope                     string                       `json:"scope,omitempty"`
	PendingScope              string                       `json:"pending_scope,omitempty"`
	Alias                     string                       `json:"alias,omitempty"`
	Email                     string                       `json:"email,omitempty"`
	Username                  string                       `json:"username,omitempty"`
	GivenName                 string                       `json:"given_name,omitempty"`
	FamilyName                string                       `json:"family_name,omitempty"`
	Lists                     []string                     `json:"lists,omitempty"`
	MissingFields             []authkit.ProjectSettingsKyc `json:"missing_fields,omitzero"`
	FirstVisit                *time.Time                   `json:"first_visit,omitempty"`
	LastVisit                 *time.Time                   `json:"last_visit,omitempty"`
	NewUser                   *bool                        `json:"new_user,omitempty"`
	VerifiedCredentials       []authkit.VerifiedCredential `json:"verified_credentials,omitzero"`
	VerifiedAccount           *authkit.VerifiedCredential  `json:"verified_account,omitempty"`
	LastVerifiedCredentialID  string                       `json:"last_verified_credential_id,omitempty"`
	SigninCredentialID        string                       `json:"signin_credential_id,omitempty"`
	VerifiedCredentialsHashes *CredentialHashes            `json:"verifiedCredentialsHashes,omitempty"`
	SessionPublicKey          string                       `json:"session_public_key,omitempty"`
	DevicePublicKey           string                       `json:"device_public_key,omitempty"`
	AuthTime                  *jwt.NumericDate             `json:"auth_time,omitempty"`
	AMR                       []string                     `json:"amr,omitempty"`
	SingleUse                 bool                         `json:"single_use,omitempty"`
}

// oracleAccepts walks the top-level members with encoding/json's Decoder
// (so that duplicates are all seen) and applies the two rules the decoder
// adds: no claim twice (names matched as encoding/json matches them) and
// time claims that are JSON numbers.
func oracleAccepts(b []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return false
		}
		for _, n := range claimNames[1:] {
			if !strings.EqualFold(tok.(string), n) {
				continue
			}
			if seen[n] {
				return false
			}
			seen[n] = true
			switch n {
			case "exp", "nbf", "iat", "auth_time":
				if v[0] != '-' && (v[0] < '0' || v[0] > '9') {
					return false
				}
			}
		}
	}
	return true
}

func dateOf(d *jwt.NumericDate) time.Time {
	if d == nil {
		return time.Time{}
	}
	return d.Time
}

// oracleDecode decodes b as before, or reports false.
func oracleDecode(b []byte) (*Claims, bool) {
	var o oracleClaims
	if !oracleAccepts(b) || json.Unmarshal(b, &o) != nil {
		return nil, false
	}
	return &Claims{
		Issuer: o.Issuer, Subject: o.Subject, Audience: []string(o.Audience),
		ExpiresAt: dateOf(o.ExpiresAt), NotBefore: dateOf(o.NotBefore), IssuedAt: dateOf(o.IssuedAt),
		ID: o.ID, KeyID: o.KeyID, SessionID: o.SessionID, Generation: o.Generation,
		EnvironmentID: o.EnvironmentID, ClientID: o.ClientID, Scope: o.Scope, PendingScope: o.PendingScope,
		Alias: o.Alias, Email: o.Email, Username: o.Username, GivenName: o.GivenName, FamilyName: o.FamilyName,
		Lists: o.Lists, MissingFields: o.MissingFields, FirstVisit: o.FirstVisit, LastVisit: o.LastVisit,
		NewUser: o.NewUser, VerifiedCredentials: o.VerifiedCredentials, VerifiedAccount: o.VerifiedAccount,
		LastVerifiedCredentialID: o.LastVerifiedCredentialID, SigninCredentialID: o.SigninCredentialID,
		VerifiedCredentialsHashes: o.VerifiedCredentialsHashes, SessionPublicKey: o.SessionPublicKey,
		DevicePublicKey: o.DevicePublicKey, AuthTime: dateOf(o.AuthTime), AMR: o.AMR, SingleUse: o.SingleUse,
	}, true
}

// sameClaims compares two decoded claim sets, times by instant.
func sameClaims(a, b *Claims) bool {
	for _, p := range [][2]time.Time{{a.ExpiresAt, b.ExpiresAt}, {a.NotBefore, b.NotBefore}, {a.IssuedAt, b.IssuedAt}, {a.AuthTime, b.AuthTime}} {
		if !p[0].Equal(p[1]) {
			return false
		}
	}
	x, y := *a, *b
	x.ExpiresAt, x.NotBefore, x.IssuedAt, x.AuthTime = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	y.ExpiresAt, y.NotBefore, y.IssuedAt, y.AuthTime = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	return reflect.DeepEqual(x, y)
}

func TestDecodeClaimsTimeClaims(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{`{"exp":1777906800,"iat":1777903200,"nbf":-1.5e3}`, true},
		{` { "exp" : 1 , "sub" : "exp" } `, true},
		{`{"x":{"exp":"nested is not a claim"},"y":["exp",{"iat":"y"}]}`, true},
		{`{"auth_time":0}`, true},
		{`{}`, true},
		{`{"exp":"1777906800"}`, false},
		{`{"exp":1,"exp":"1"}`, false}, // a duplicate
		{`{"exp":1,"exp":2}`, false},   // likewise, whatever the values
		{`{"EXP":"1"}`, false},         // encoding/json matches names case-insensitively
		{`{"\u0065xp":"1"}`, false},    // and after unescaping
		{`{"nbf":null}`, false},
		{`{"iat":true}`, false},
		{`{"auth_time":"0"}`, false},
		{`{"exp":[1]}`, false},
		{`{"s":"\"exp\":\"1\"","exp":2}`, true},
		{`[]`, false},
		{`null`, false},
		{`{"exp":1}x`, false},
		{`{"exp":01}`, false},
	}
	for _, tc := range tests {
		var c Claims
		if got := decodeClaims(tc.in, &c) == nil; got != tc.want {
			t.Errorf("decodeClaims(%s) accepted = %v, want %v", tc.in, got, tc.want)
		}
		if _, got := oracleDecode([]byte(tc.in)); got != tc.want {
			t.Errorf("oracle(%s) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestDecodeClaimsValues(t *testing.T) {
	tests := map[string]string{
		"fraction truncated":    `{"exp":1777906800.9,"iat":1.7779032e9}`,
		"audience array":        `{"aud":["a","b"]}`,
		"audience empty":        `{"aud":[]}`,
		"audience null":         `{"aud":null}`,
		"escaped and non-ASCII": `{"iss":"a\u00e9\n\"b","email":"é@x","username":"\ud83d\ude00"}`,
		"invalid UTF-8":         "{\"iss\":\"a\xffb\"}",
		"folded names":          `{"ISS":"x","Sub":"y","VERIFIEDCREDENTIALSHASHES":{"EMAIL":"e"}}`,
		"null clears pointers":  `{"new_user":null,"verifiedCredentialsHashes":null,"lists":null}`,
		"empty lists":           `{"lists":[],"amr":[],"missing_fields":[],"verified_credentials":[]}`,
		"null elements":         `{"amr":["otp",null]}`,
		"bools":                 `{"new_user":false,"single_use":true}`,
		"generation":            `{"gen":18446744073709551615}`,
		"nested credentials":    `{"verified_credentials":[{"id":"c1","format":"email","email":"a@b"}],"verified_account":{"id":"c1"}}`,
		"visits":                `{"first_visit":"2026-01-02T03:04:05Z","last_visit":null}`,
		"unknown members":       `{"x":[1,{"y":[true,false,null,-0.5e-3]}],"z":"\u0000"}`,
		"account common":        `{"verified_account":{"id":"c1","format":"email","signInEnabled":true,"email":"a@b","public_identifier":"a@b"}}`,
		"account fallback":      `{"verified_account":{"id":"c1","walletName":"w","lastSelectedAt":"2026-01-02T03:04:05Z"}}`,
		"account folded":        `{"Verified_Account":{"ID":"c1"}}`,
		"account null":          `{"verified_account":null}`,
		"account empty":         `{"verified_account":{}}`,
		"missing fields spaced": `{"missing_fields":[ ]}`,
		"missing fields set":    `{"missing_fields":[{"name":"email","required":true,"position":2}]}`,
		"missing fields null":   `{"missing_fields":null}`,
		"visits nanoseconds":    `{"first_visit":"2026-01-02T03:04:05.123456789+02:00","last_visit":"2026-01-02T03:04:05Z"}`,
		"many credentials":      `{"verified_credentials":[{"id":"1"},{"id":"2"},{"id":"3"},{"id":"4"},{"id":"5","walletName":"w"},null,{"id":"7"}]}`,
		"four credentials":      `{"verified_credentials":[{"id":"1"},{"id":"2"},{"id":"3"},{"id":"4","ID":"x"}]}`,
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			var c Claims
			err := decodeClaims(in, &c)
			want, ok := oracleDecode([]byte(in))
			if (err == nil) != ok {
				t.Fatalf("decoder err %v, oracle accepts %v", err, ok)
			}
			if ok && !sameClaims(&c, want) {
				t.Fatalf("decoder %+v\noracle  %+v", c, *want)
			}
		})
	}
	for _, in := range []string{`{"gen":-1}`, `{"gen":1.0}`, `{"gen":1e2}`, `{"aud":[null]}`, `{"aud":1}`, `{"iss":1}`, `{"new_user":"true"}`, `{"a":[1,]}`, `{"a":{"b"}}`, `{"a":tru}`, "{\"a\":\"\x01\"}", `{"a":"\x"}`, `{"a":"\u12"}`,
		`{"verified_account":"c1"}`, `{"verified_account":[]}`, `{"verified_account":{"id":5}}`, `{"first_visit":"yesterday"}`,
		`{"first_visit":1}`, `{"last_visit":"2026-01-02 03:04:05Z"}`, `{"last_visit":"\u0032026-01-02T03:04:05Z"}`, `{"missing_fields":[}`,
		`{"missing_fields":{}}`, `{"verified_credentials":[{},{},{},{},{"id":1}]}`} {
		var c Claims
		if decodeClaims(in, &c) == nil {
			t.Errorf("decodeClaims(%s) accepted", in)
		}
	}
}

func TestClaimsRoundTrip(t *testing.T) {
	yes := true
	visit := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	c := &Claims{
		Issuer: "iss<&>", Subject: "sub", Audience: []string{"a", "b"},
		ExpiresAt: time.Unix(1777906800, 0), IssuedAt: time.Unix(1777903200, 0), NotBefore: time.Unix(1777903100, 0),
		ID: "jti", KeyID: "kid", SessionID: "sid", Generation: 3, EnvironmentID: "env", ClientID: "env",
		Scope: "user:basic", PendingScope: "x", Alias: "al", Email: "é@x", Username: "u\u2028", GivenName: "g",
		FamilyName: "f", Lists: []string{"l"}, MissingFields: []authkit.ProjectSettingsKyc{}, FirstVisit: &visit,
		NewUser: &yes, VerifiedCredentials: []authkit.VerifiedCredential{{ID: "c1", Format: authkit.FormatEmail}},
		VerifiedAccount: &authkit.VerifiedCredential{ID: "c1"}, LastVerifiedCredentialID: "c1", SigninCredentialID: "c2",
		VerifiedCredentialsHashes: &CredentialHashes{Email: "h"}, SessionPublicKey: "spk", DevicePublicKey: "dpk",
		AuthTime: time.Unix(1777903000, 0), AMR: []string{"otp", "mfa"}, SingleUse: true,
	}
	pos := 3
	zoned := time.Date(2026, 5, 6, 7, 8, 9, 0, time.FixedZone("", 2*3600))
	other := *c
	other.MissingFields = []authkit.ProjectSettingsKyc{{Name: "email", Required: true, Position: &pos}}
	other.FirstVisit, other.LastVisit, other.VerifiedAccount = nil, &zoned, nil
	for _, c := range []*Claims{c, &other} {
		b, err := appendClaims(nil, c)
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(oracleOf(c))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, want) {
			t.Fatalf("appendClaims\n%s\nencoding/json\n%s", b, want)
		}
		var got Claims
		if err := decodeClaims(string(b), &got); err != nil || !sameClaims(&got, c) {
			t.Fatalf("round trip: %v\n%+v\n%+v", err, got, *c)
		}
	}
	// A visit time encoding/json cannot write fails the same way here.
	far := time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	other.LastVisit = &far
	if _, err := json.Marshal(oracleOf(&other)); err == nil {
		t.Fatal("encoding/json wrote year 10000")
	}
	if _, err := appendClaims(nil, &other); err == nil {
		t.Fatal("appendClaims wrote year 10000")
	}
}

// oracleOf is c as the struct encoding/json wrote before.
func oracleOf(c *Claims) oracleClaims {
	date := func(t time.Time) *jwt.NumericDate {
		if t.IsZero() {
			return nil
		}
		return jwt.NewNumericDate(t)
	}
	return oracleClaims{
		Issuer: c.Issuer, Subject: c.Subject, Audience: c.Audience, ExpiresAt: date(c.ExpiresAt),
		NotBefore: date(c.NotBefore), IssuedAt: date(c.IssuedAt), ID: c.ID, KeyID: c.KeyID, SessionID: c.SessionID,
		Generation: c.Generation, EnvironmentID: c.EnvironmentID, ClientID: c.ClientID, Scope: c.Scope,
		PendingScope: c.PendingScope, Alias: c.Alias, Email: c.Email, Username: c.Username, GivenName: c.GivenName,
		FamilyName: c.FamilyName, Lists: c.Lists, MissingFields: c.MissingFields, FirstVisit: c.FirstVisit,
		LastVisit: c.LastVisit, NewUser: c.NewUser, VerifiedCredentials: c.VerifiedCredentials,
		VerifiedAccount: c.VerifiedAccount, LastVerifiedCredentialID: c.LastVerifiedCredentialID,
		SigninCredentialID: c.SigninCredentialID, VerifiedCredentialsHashes: c.VerifiedCredentialsHashes,
		SessionPublicKey: c.SessionPublicKey, DevicePublicKey: c.DevicePublicKey, AuthTime: date(c.AuthTime),
		AMR: c.AMR, SingleUse: c.SingleUse,
	}
}

// FuzzDecodeClaims: the decoder never panics, accepts exactly what
// encoding/json (with golang-jwt's types) accepts under the two added
// rules, and decodes the same values.
func FuzzDecodeClaims(f *testing.F) {
	f.Add([]byte(`{"exp":1777906800,"iat":1777903200}`))
	f.Add([]byte(`{"exp":"1777906800"}`))
	f.Add([]byte(`{"iss":"a\u00e9","aud":["x"],"verifiedCredentialsHashes":{"email":"e"},"amr":["otp"]}`))
	f.Add([]byte(`{"verified_credentials":[{"id":"c1","format":"email","oauth_emails":["x",null]},{"walletName":"w"}]}`))
	f.Add([]byte(`{"verified_account":{"id":"c1","format":"email","signInEnabled":true},"missing_fields":[],"first_visit":"2026-01-02T03:04:05.5Z","last_visit":null}`))
	f.Add([]byte(`{"verified_credentials":[{"id":"1"},{"id":"2"},{"id":"3"},{"id":"4"},{"id":"5"}],"verified_account":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var c Claims
		err := decodeClaims(string(b), &c)
		want, ok := oracleDecode(b)
		if (err == nil) != ok {
			t.Fatalf("decodeClaims(%q): err %v, oracle accepts %v", b, err, ok)
		}
		if ok && !sameClaims(&c, want) {
			t.Fatalf("decodeClaims(%q) = %+v, oracle %+v", b, c, *want)
		}
	})
}

func TestEmptyCredentialHash(t *testing.T) {
	sum := sha256.Sum256(nil)
	if want := b64.EncodeToString(sum[:16]); emptyCredentialHash != want || HashCredentials(nil).Email != want {
		t.Fatalf("emptyCredentialHash = %s, want %s", emptyCredentialHash, want)
	}
}

// TestAppendCredential: the hand-written credential matches encoding/json
// with every common member set, with none, and on the fallback path.
func TestAppendCredential(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	full := authkit.VerifiedCredential{
		ID: "c1", Format: authkit.FormatOAuth, SignInEnabled: true, Address: "0xab", Chain: "eip155", RefID: "r",
		SignerRefID: "s", WalletName: "w", WalletProvider: "p", EmbeddedWalletID: "e", Email: "a<b>@x&y",
		PublicIdentifier: "pi", PhoneNumber: "9172113333", PhoneCountryCode: "1", IsoCountryCode: "US",
		OAuthProvider: "github", OAuthUsername: "u", OAuthDisplayName: "Ü ser", OAuthAccountID: "42",
		OAuthAccountPhotos: []string{"https://p"}, OAuthEmails: []string{"a@x", "b@x"}, PreviousUsers: []string{"u0"},
	}
	fallback := full
	fallback.LastSelectedAt = &at
	fallback.OAuthMetadata = json.RawMessage(`{"k": [1, 2]}`)
	for _, v := range []authkit.VerifiedCredential{full, {}, {ID: "x", Format: authkit.FormatEmail}, fallback} {
		got, err := appendCredential(nil, &v)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(v)
		if !bytes.Equal(got, want) {
			t.Fatalf("appendCredential\n%s\nencoding/json\n%s", got, want)
		}
	}
}

func TestDecodeCredentials(t *testing.T) {
	for _, in := range []string{
		`{"verified_credentials":[{"id":"c1","format":"email","signInEnabled":true,"email":"a@b","oauth_emails":["x",null]}]}`,
		`{"verified_credentials":[{"id":"c1","email":"a","email":null,"format":"x","format":"","oauth_emails":["a","b"],"oauth_emails":["c",null]}]}`,
		`{"verified_credentials":[{"id":"c1","publicIdentifier":"camel","walletName":"w"}]}`,
		`{"verified_credentials":[{"id":"c1","ID":"folded"}]}`,
		`{"verified_credentials":[null,{"id":"c2","name_service":{"avatar":"a"},"lastSelectedAt":"2026-01-02T03:04:05Z"}]}`,
		`{"verified_credentials":[]}`,
		`{"verified_credentials":null}`,
		`{"verified_credentials":[{"id":5}]}`,
		`{"verified_credentials":[{"signInEnabled":"yes"}]}`,
		`{"verified_credentials":[{"publicIdentifier":5}]}`,
		`{"verified_credentials":{}}`,
	} {
		var c Claims
		err := decodeClaims(in, &c)
		want, ok := oracleDecode([]byte(in))
		if (err == nil) != ok {
			t.Fatalf("%s: decoder err %v, oracle accepts %v", in, err, ok)
		}
		if ok && !sameClaims(&c, want) {
			t.Fatalf("%s:\ndecoder %+v\noracle  %+v", in, c.VerifiedCredentials, want.VerifiedCredentials)
		}
	}
}

// TestHashCredentialsDefinition: each hash is the first 128 bits of
// SHA-256 over the format's ids sorted and joined with ",", whatever the
// order, duplicates or count of the credentials, and formats without a
// member are ignored.
func TestHashCredentialsDefinition(t *testing.T) {
	ref := func(creds []authkit.VerifiedCredential) CredentialHashes {
		var ids [5][]string
		for _, c := range creds {
			if i := hashSlot(c.Format); i >= 0 {
				ids[i] = append(ids[i], c.ID)
			}
		}
		var out [5]string
		for i := range ids {
			slices.Sort(ids[i])
			sum := sha256.Sum256([]byte(strings.Join(ids[i], ",")))
			out[i] = b64.EncodeToString(sum[:16])
		}
		return CredentialHashes{Blockchain: out[0], Email: out[1], OAuth: out[2], PhoneNumber: out[3], ExternalUser: out[4]}
	}
	cred := func(id string, f authkit.CredentialFormat) authkit.VerifiedCredential {
		return authkit.VerifiedCredential{ID: id, Format: f}
	}
	e, p, o, b, x := authkit.FormatEmail, authkit.FormatPhoneNumber, authkit.FormatOAuth, authkit.FormatBlockchain, authkit.FormatExternalUser
	for _, creds := range [][]authkit.VerifiedCredential{
		nil,
		{cred("e1", e)},
		{cred("e1", e), cred("p1", p)},
		{cred("b", b), cred("e", e), cred("o", o), cred("p", p), cred("x", x)},
		{cred("e2", e), cred("e1", e), cred("e3", e), cred("p1", p)},
		{cred("a,b", e), cred("a", e), cred("b", e)},
		{cred("same", o), cred("same", o)},
		{cred("", e)},
		{cred("k", "passkey"), cred("u", "unknown"), cred("x1", x)},
	} {
		if got, want := hashCredentials(creds), ref(creds); got != want {
			t.Errorf("hashCredentials(%v) = %+v, want %+v", creds, got, want)
		}
	}
}

// TestLookupClaimNames: every claim name maps to its field exactly and
// case-insensitively, as encoding/json matches member names.
func TestLookupClaimNames(t *testing.T) {
	for f := fIss; f < fCount; f++ {
		n := claimNames[f]
		for _, v := range []string{n, strings.ToUpper(n), strings.ToUpper(n[:1]) + n[1:]} {
			if got := lookupClaim(v); got != f {
				t.Errorf("lookupClaim(%q) = %d, want %d", v, got, f)
			}
		}
	}
	for _, n := range []string{"", "is", "issx", "verified_credential", "x"} {
		if got := lookupClaim(n); got != fUnknown {
			t.Errorf("lookupClaim(%q) = %d, want unknown", n, got)
		}
	}
}
