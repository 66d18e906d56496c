package mfatest

import (
	"testing"
	"time"

	"github.com/authkit/authkit/mfa"
)

// testDeleteUser: DeleteUser removes the user's devices, recovery set and
// tokens (single- and multi-use, session-bound or not), leaves another
// user's untouched, and is a no-op for a user with nothing.
func testDeleteUser(t *testing.T, s mfa.Store) {
	user, other := uniq(t, "user"), uniq(t, "user")
	exp := base.Add(time.Hour)
	var toks []mfa.TokenRecord
	for _, uid := range []string{user, other} {
		d1, d2 := device(t, uid, base), device(t, uid, base.Add(time.Second))
		mustCreate(t, s, d1)
		mustCreate(t, s, d2)
		mustConfirm(t, s, d1, 10)
		if err := s.ReplaceRecoverySet(ctx, recoverySet(t, uid, 3)); err != nil {
			t.Fatal(err)
		}
		for _, tk := range []mfa.TokenRecord{token(t, uid, "", true, exp), token(t, uid, "sid-1", false, exp)} {
			if err := s.CreateToken(ctx, tk); err != nil {
				t.Fatal(err)
			}
			toks = append(toks, tk)
		}
	}
	if err := s.DeleteUser(ctx, user); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	if ds, err := s.ListDevices(ctx, user); err != nil || len(ds) != 0 {
		t.Fatalf("devices after DeleteUser: %d, %v", len(ds), err)
	}
	_, err := s.GetRecoverySet(ctx, user)
	wantErr(t, "GetRecoverySet after DeleteUser", err, mfa.ErrNotFound)
	for _, tk := range toks[:2] {
		_, err := s.UseToken(ctx, tk.Digest, user, "sid-1", base)
		wantErr(t, "UseToken after DeleteUser", err, mfa.ErrNotFound)
	}
	// A new device starts with no default left over.
	d := device(t, user, base.Add(time.Minute))
	mustCreate(t, s, d)
	if got := mustConfirm(t, s, d, 1); !got.Default {
		t.Fatal("first device after DeleteUser is not the default")
	}
	// The other user keeps everything.
	if ds, err := s.ListDevices(ctx, other); err != nil || len(ds) != 2 {
		t.Fatalf("other user's devices: %d, %v", len(ds), err)
	}
	if set, err := s.GetRecoverySet(ctx, other); err != nil || len(set.Codes) != 3 {
		t.Fatalf("other user's recovery set: %v", err)
	}
	for _, tk := range toks[2:] {
		if _, err := s.UseToken(ctx, tk.Digest, other, "sid-1", base); err != nil {
			t.Fatalf("other user's token: %v", err)
		}
	}
	if err := s.DeleteUser(ctx, uniq(t, "user")); err != nil {
		t.Fatalf("DeleteUser of a user with nothing: %v", err)
	}
}
