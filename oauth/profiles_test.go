package oauth

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/authkit/authkit"
)

type profileFixture struct {
	Doc          string          `json:"doc"`
	Claims       json.RawMessage `json:"id_token_claims"`
	UserInfo     json.RawMessage `json:"userinfo"`
	Emails       json.RawMessage `json:"emails"`
	CallbackUser json.RawMessage `json:"callback_user"`
	Want         Identity        `json:"want"`
}

func mapperFor(t testing.TB, name string) func(profileSources) (Identity, error) {
	if name == "oidc" {
		return mapOIDC
	}
	sp, ok := catalogue(authkit.ProviderType(name))
	if !ok {
		t.Fatalf("no catalogue entry for fixture %q", name)
	}
	return sp.mapProfile
}

func loadFixture(t testing.TB, path string) profileFixture {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var fx profileFixture
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return fx
}

// TestProfileMappings maps each provider's documented profile response
// (testdata/profiles/<provider>.json) and compares with the expected Identity.
func TestProfileMappings(t *testing.T) {
	files, err := filepath.Glob("testdata/profiles/*.json")
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".json")
		have[name] = true
		t.Run(name, func(t *testing.T) {
			fx := loadFixture(t, path)
			src := profileSources{Claims: fx.Claims, UserInfo: fx.UserInfo, Emails: fx.Emails, CallbackUser: fx.CallbackUser}
			id, err := mapProfile(mapperFor(t, name), src)
			if err != nil {
				t.Fatalf("map: %v", err)
			}
			id.Provider = fx.Want.Provider
			if !json.Valid(id.Raw) || len(id.Raw) == 0 {
				t.Fatalf("raw profile not kept: %q", id.Raw)
			}
			id.Raw = nil
			if !reflect.DeepEqual(id, fx.Want) {
				g, _ := json.Marshal(id)
				w, _ := json.Marshal(fx.Want)
				t.Fatalf("identity\n got %s\nwant %s", g, w)
			}
		})
	}
	for _, typ := range CatalogueProviders() {
		if !have[string(typ)] {
			t.Errorf("catalogue provider %q has no profile fixture", typ)
		}
	}
	if !have["oidc"] {
		t.Error("no generic OIDC fixture")
	}
}

func TestRawProfileSources(t *testing.T) {
	one := profileSources{UserInfo: json.RawMessage(`{"id":1}`)}
	if string(one.raw()) != `{"id":1}` {
		t.Fatalf("single source: %s", one.raw())
	}
	two := profileSources{UserInfo: json.RawMessage(`{"id":1}`), Emails: json.RawMessage(`[]`)}
	if string(two.raw()) != `{"userinfo":{"id":1},"emails":[]}` {
		t.Fatalf("two sources: %s", two.raw())
	}
}

func TestProfileMappingFailures(t *testing.T) {
	for _, tc := range []struct {
		name string
		fn   func(profileSources) (Identity, error)
		src  profileSources
	}{
		{"oidc sub mismatch", mapOIDC, profileSources{Claims: json.RawMessage(`{"sub":"a"}`), UserInfo: json.RawMessage(`{"sub":"b"}`)}},
		{"oidc no sub", mapOIDC, profileSources{Claims: json.RawMessage(`{"email":"x@example.com"}`)}},
		{"github no id", mapGitHub, profileSources{UserInfo: json.RawMessage(`{"login":"x"}`)}},
		{"github bad emails", mapGitHub, profileSources{UserInfo: json.RawMessage(`{"id":1}`), Emails: json.RawMessage(`{"x":1}`)}},
		{"tiktok error", mapTikTok, profileSources{UserInfo: json.RawMessage(`{"data":{"user":{"open_id":"x"}},"error":{"code":"access_token_invalid"}}`)}},
		{"twitch empty", mapTwitch, profileSources{UserInfo: json.RawMessage(`{"data":[]}`)}},
		{"not json", mapDiscord, profileSources{UserInfo: json.RawMessage(`[1,2`)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := mapProfile(tc.fn, tc.src); !errors.Is(err, ErrExchangeFailed) {
				t.Fatalf("err = %v, want ErrExchangeFailed", err)
			}
		})
	}
}

func TestAppleNameOnlyFirstSignIn(t *testing.T) {
	fx := loadFixture(t, "testdata/profiles/apple.json")
	id, err := mapApple(profileSources{Claims: fx.Claims})
	if err != nil {
		t.Fatal(err)
	}
	if id.DisplayName != "" || id.Emails[0].Address != "abc123@privaterelay.appleid.com" {
		t.Fatalf("later sign-in: %+v", id)
	}
	// The callback's email is unsigned and ignored even on first sign-in.
	id, _ = mapApple(profileSources{Claims: fx.Claims, CallbackUser: fx.CallbackUser})
	for _, e := range id.Emails {
		if e.Address == "someone-else@example.com" {
			t.Fatal("email taken from the unsigned callback user field")
		}
	}
}

func TestFlexTypes(t *testing.T) {
	var v struct {
		A flexString `json:"a"`
		B flexString `json:"b"`
		C flexBool   `json:"c"`
		D flexBool   `json:"d"`
		E flexBool   `json:"e"`
	}
	if err := json.Unmarshal([]byte(`{"a":12345678901234567890,"b":"x","c":"true","d":true,"e":"nope"}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.A != "12345678901234567890" || v.B != "x" || !v.C || !v.D || v.E {
		t.Fatalf("%+v", v)
	}
	if err := json.Unmarshal([]byte(`{"a":{}}`), &v); err == nil {
		t.Fatal("object accepted as id")
	}
}

// FuzzProfileMapping feeds arbitrary documents to every mapping: none may
// panic, and a success always has an account id.
func FuzzProfileMapping(f *testing.F) {
	files, _ := filepath.Glob("testdata/profiles/*.json")
	for _, path := range files {
		fx := loadFixture(f, path)
		f.Add(strings.TrimSuffix(filepath.Base(path), ".json"), []byte(fx.Claims), []byte(fx.UserInfo), []byte(fx.Emails))
	}
	f.Fuzz(func(t *testing.T, name string, claims, userinfo, emails []byte) {
		fn := mapOIDC
		if sp, ok := catalogue(authkit.ProviderType(name)); ok {
			fn = sp.mapProfile
		}
		id, err := mapProfile(fn, profileSources{Claims: claims, UserInfo: userinfo, Emails: emails})
		if err == nil && id.AccountID == "" {
			t.Fatal("mapped without an account id")
		}
	})
}
