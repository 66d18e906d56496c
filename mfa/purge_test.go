package mfa

import (
	"errors"
	"testing"
)

func TestDeleteUser(t *testing.T) {
	f := newFixture(t)
	f.enrolled(t, "alice")
	f.enrolled(t, "bob")
	if _, err := f.svc.RegenerateRecoveryCodes(bg, "alice"); err != nil {
		t.Fatal(err)
	}
	tok, _, err := f.svc.IssueToken(bg, "alice", "", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DeleteUser(bg, ""); !errors.Is(err, ErrInvalidUser) {
		t.Fatalf("DeleteUser(\"\") = %v", err)
	}
	if err := f.svc.DeleteUser(bg, "alice"); err != nil {
		t.Fatal(err)
	}
	if ds, err := f.svc.ListDevices(bg, "alice"); err != nil || len(ds) != 0 {
		t.Fatalf("alice's devices after DeleteUser: %v, %v", ds, err)
	}
	if ack, err := f.svc.RecoveryAcknowledgement(bg, "alice"); err != nil || ack != "" {
		t.Fatalf("alice's recovery codes after DeleteUser: %q, %v", ack, err)
	}
	if err := f.svc.ConsumeToken(bg, "alice", "", tok); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("alice's MFA token after DeleteUser: %v", err)
	}
	if ds, err := f.svc.ListDevices(bg, "bob"); err != nil || len(ds) != 1 {
		t.Fatalf("bob's devices: %v, %v", ds, err)
	}
	if err := f.svc.DeleteUser(bg, "alice"); err != nil {
		t.Fatalf("second DeleteUser: %v", err)
	}
}
