package oauth_test

import (
	"testing"

	"github.com/authkit/authkit/oauth"
	"github.com/authkit/authkit/oauth/oauthtest"
)

func TestMemoryStore(t *testing.T) {
	oauthtest.RunStoreTests(t, func(t *testing.T) oauth.Store {
		return oauth.NewMemoryStore()
	})
}
