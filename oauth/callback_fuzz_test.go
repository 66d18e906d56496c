package oauth_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authkit/authkit/oauth"
)

// FuzzParseCallback: any query or form parses without panicking, and a
// success always has a state and either a code or an error.
func FuzzParseCallback(f *testing.F) {
	f.Add("GET", "state=abcdefghijklmnop&code=SplxlOBeZQQYbYS6WxSbIA", "")
	f.Add("GET", "state=abc&error=access_denied&error_description=The+user+denied", "")
	f.Add("POST", "", "state=abc&code=c1&user=%7B%22name%22%3A%7B%22firstName%22%3A%22A%22%7D%7D")
	f.Add("POST", "state=q", "state=a&state=b&code=%zz")
	f.Add("GET", "%", "")
	f.Fuzz(func(t *testing.T, method, query, body string) {
		if method != http.MethodPost {
			method = http.MethodGet
		}
		r := httptest.NewRequest(method, "/cb", strings.NewReader(body))
		r.URL.RawQuery = query
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		p, err := oauth.ParseCallback(r)
		if err != nil {
			if !errors.Is(err, oauth.ErrInvalidState) && !errors.Is(err, oauth.ErrExchangeFailed) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if p.State == "" || (p.Code == "" && p.Error == "") {
			t.Fatalf("accepted %+v", p)
		}
	})
}
