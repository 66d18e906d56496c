package session_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/authkit/authkit/session"
)

// The device key proved at sign-in stays bound to the session: every
// re-issue (MFA upgrade, refresh) carries it, and ParseSession reads it
// before a stateful call.
func TestDevicePublicKeyCarriesOver(t *testing.T) {
	f := newFixture(t, session.ES256, true)
	ctx := t.Context()
	user := testUser(1)
	dev := "03" + strings.Repeat("ab", 32)
	toks, err := f.m.Mint(ctx, user, session.MintOptions{MFAPending: true, DevicePublicKey: dev})
	if err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]string{"full": toks.JWT, "minified": toks.MinifiedJWT} {
		c, err := f.m.ParseSession(tok)
		if err != nil || c.DevicePublicKey != dev {
			t.Fatalf("%s: ParseSession = %+v, %v", name, c, err)
		}
	}
	up, err := f.m.Upgrade(ctx, toks.Claims, user, nil)
	if err != nil || up.Claims.DevicePublicKey != dev {
		t.Fatalf("Upgrade: %v %v", up.Claims, err)
	}
	ref, err := f.m.Refresh(ctx, up.MinifiedJWT, lookup(user))
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.m.ParseSession(ref.MinifiedJWT)
	if err != nil || c.DevicePublicKey != dev {
		t.Fatalf("after Refresh: %+v %v", c, err)
	}
	// A malformed key is refused at Mint; an elevated token is no session.
	if _, err := f.m.Mint(ctx, user, session.MintOptions{DevicePublicKey: "04" + strings.Repeat("0", 64)}); !errors.Is(err, session.ErrInvalidRequest) {
		t.Fatalf("malformed device key: %v", err)
	}
	if _, err := f.m.ParseSession("not.a.token"); err == nil {
		t.Fatal("ParseSession accepted garbage")
	}
}
