package account_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/account"
)

// FuzzKey: any credential either gets a printable key of at most
// MaxKeyLen bytes, prefixed by its format, that is stable under
// re-keying its canonical form, or ErrInvalidCredential; never a panic.
func FuzzKey(f *testing.F) {
	f.Add("email", "Jane@Example.com", "", "", "", "", "")
	f.Add("phoneNumber", "", "1", "9172113333", "US", "", "")
	f.Add("phoneNumber", "", "+44", "07400 123456", "", "", "")
	f.Add("oauth", "", "", "", "", "github", "583231")
	f.Add("oauth", "", "", "", "", "GitHub", "a:b")
	f.Add("passkey", "", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, format, email, cc, national, iso, provider, account_ string) {
		in := authkit.VerifiedCredential{
			Format: authkit.CredentialFormat(format), Email: email,
			PhoneCountryCode: cc, PhoneNumber: national, IsoCountryCode: iso,
			OAuthProvider: authkit.ProviderType(provider), OAuthAccountID: account_,
		}
		c, key, err := account.Key(in)
		if err != nil {
			if !errors.Is(err, account.ErrInvalidCredential) {
				t.Fatalf("error %v is not ErrInvalidCredential", err)
			}
			return
		}
		if len(key) > account.MaxKeyLen || !utf8.ValidString(key) || !strings.HasPrefix(key, format+":") {
			t.Fatalf("bad key %q", key)
		}
		c2, key2, err := account.Key(c)
		if err != nil || key2 != key {
			t.Fatalf("canonical form re-keys to %q, %v; want %q", key2, err, key)
		}
		if c2.Email != c.Email || c2.PhoneNumber != c.PhoneNumber || c2.OAuthAccountID != c.OAuthAccountID {
			t.Fatalf("canonical form not stable: %+v then %+v", c, c2)
		}
	})
}
