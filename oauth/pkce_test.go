package oauth_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/authkit/authkit/oauth"
)

// RFC 7636 Appendix B, verbatim (research/standards.md §2.4).
func TestPKCEVectorRFC7636(t *testing.T) {
	octets := []byte{116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121}
	const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	const challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	if got := base64.RawURLEncoding.EncodeToString(octets); got != verifier {
		t.Fatalf("verifier = %q, want %q", got, verifier)
	}
	if len(verifier) != 43 || !oauth.ValidVerifier(verifier) {
		t.Fatalf("verifier not valid")
	}
	if got := oauth.S256Challenge(verifier); got != challenge {
		t.Fatalf("challenge = %q, want %q", got, challenge)
	}
	if got := oauth2.S256ChallengeFromVerifier(verifier); got != challenge {
		t.Fatalf("x/oauth2 challenge = %q, want %q", got, challenge)
	}
}

func TestValidVerifier(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want bool
	}{
		{strings.Repeat("a", 42), false},
		{strings.Repeat("a", 43), true},
		{strings.Repeat("A-._~9", 21) + "zz", true}, // 128
		{strings.Repeat("a", 129), false},
		{strings.Repeat("a", 42) + "+", false},
		{strings.Repeat("a", 42) + "=", false},
		{strings.Repeat("a", 42) + " ", false},
		{"", false},
	} {
		if got := oauth.ValidVerifier(tc.v); got != tc.want {
			t.Errorf("ValidVerifier(%q) = %v, want %v", tc.v, got, tc.want)
		}
	}
}
