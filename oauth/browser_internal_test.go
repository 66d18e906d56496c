package oauth

import (
	"github.com/authkit/authkit"
	"net/http"
	"testing"
)

// Apple answers with a cross-site form POST, which carries no Lax cookie.
func TestBindingSameSite(t *testing.T) {
	for name, want := range map[authkit.ProviderType]http.SameSite{
		authkit.ProviderApple:  http.SameSiteNoneMode,
		authkit.ProviderGitHub: http.SameSiteLaxMode,
		authkit.ProviderGoogle: http.SameSiteLaxMode,
	} {
		sp, ok := catalogue(name)
		if !ok {
			t.Fatalf("no catalogue entry %q", name)
		}
		if got := bindingSameSite(&provider{spec: sp}); got != want {
			t.Errorf("bindingSameSite(%s) = %v, want %v", name, got, want)
		}
	}
}
