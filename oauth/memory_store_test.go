package oauth_test

import (
	"testing"

	"github.com/authkit/authkit/oauth"
	"github.com/authkit/authkit/oauth/oauthtest"
)

func TestMemoryStateStore(t *testing.T) {
	oauthtest.RunStoreTests(t, func(t *testing.T) oauth.StateStore {
		return oauth.NewMemoryStateStore()
	})
}
