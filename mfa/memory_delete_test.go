package mfa

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/authkit/authkit/ratelimit"
)

// TestMemoryStoreDeleteUserRecord: DeleteUser keeps a user's recovery
// record only while it holds failures (UserStore keeps the failure
// windows), and ResetRecoveryFailures then drops it, so that deleted
// users leave nothing else behind.
func TestMemoryStoreDeleteUserRecord(t *testing.T) {
	ctx := context.Background()
	rule := ratelimit.Rule{Sliding: true, Limit: 3, Window: time.Minute}
	now := func() time.Time { return time.Unix(1_700_000_000, 0) }
	tests := []struct {
		name     string
		failures int
		kept     bool
	}{
		{"no failures", 0, false},
		{"one failure", 1, true},
		{"at the limit", 3, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMemoryStore()
			set := RecoverySet{UserID: "u", Codes: []RecoveryCodeRecord{{Digest: []byte("d1")}}}
			if err := m.ReplaceRecoverySet(ctx, set); err != nil {
				t.Fatal(err)
			}
			for range tc.failures {
				if _, _, err := m.AttemptRecoveryCode(ctx, "u", [][]byte{[]byte("x")}, rule, now); !errors.Is(err, ErrNotFound) {
					t.Fatalf("wrong digest: %v", err)
				}
			}
			if err := m.DeleteUser(ctx, "u"); err != nil {
				t.Fatal(err)
			}
			if _, kept := m.recovery["u"]; kept != tc.kept {
				t.Fatalf("record kept %v after DeleteUser, want %v", kept, tc.kept)
			}
			for _, call := range []func() error{
				func() error { _, err := m.GetRecoverySet(ctx, "u"); return err },
				func() error { _, err := m.ConsumeRecoveryCode(ctx, "u", []byte("d1")); return err },
				func() error { return m.SetAcknowledgement(ctx, "u", "complete") },
				func() error {
					_, _, err := m.AttemptRecoveryCode(ctx, "u", [][]byte{[]byte("d1")}, rule, now)
					return err
				},
			} {
				if err := call(); !errors.Is(err, ErrNotFound) {
					t.Fatalf("after DeleteUser: %v, want ErrNotFound", err)
				}
			}
			if err := m.ResetRecoveryFailures(ctx, "u"); err != nil {
				t.Fatal(err)
			}
			if len(m.recovery) != 0 {
				t.Fatalf("%d records left after ResetRecoveryFailures of a deleted user", len(m.recovery))
			}
		})
	}
}
