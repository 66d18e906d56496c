package oauth_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/authkit/authkit/oauth"
)

// The provider's error and error_description arrive from the browser
// (anyone can craft the callback URL): in the error text they are quoted,
// so they cannot forge log lines or break out of a message.
func TestProviderErrorQuotesBrowserInput(t *testing.T) {
	err := error(&oauth.ProviderError{Code: "access_denied", Description: "no\nlevel=ERROR msg=forged"})
	if !errors.Is(err, oauth.ErrProviderError) {
		t.Fatal("not ErrProviderError")
	}
	if s := err.Error(); strings.ContainsAny(s, "\r\n") {
		t.Fatalf("error text carries a raw newline: %q", s)
	}
}
