package mfatest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/mfa"
)

// The acknowledgement state decides whether recovery codes may be shown
// again, so it must change atomically with the set it belongs to: a
// replacement makes it pending together with the new codes, and an
// acknowledgement racing with replacements or code uses neither mixes two
// sets nor loses or resurrects a code.

// testRecoveryAckReplaceParallel: acknowledgements racing with
// replacements leave exactly one whole set, acknowledged or pending, and
// the next replacement is pending again.
func testRecoveryAckReplaceParallel(t *testing.T, s mfa.Store) {
	u := uniq(t, "user")
	if _, _, err := s.CreateRecoverySet(ctx, recoverySet(t, u, 4)); err != nil {
		t.Fatal(err)
	}
	sets := make([]mfa.RecoverySet, Parallelism)
	for i := range sets {
		sets[i] = recoverySet(t, u, 4)
		sets[i].CreatedAt = base.Add(time.Duration(i+1) * time.Second)
	}
	parallel(t, nil, func(i int) error {
		if i%2 == 0 {
			return s.ReplaceRecoverySet(ctx, sets[i])
		}
		return s.SetAcknowledgement(ctx, u, authkit.AcknowledgementComplete)
	})
	got, err := s.GetRecoverySet(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if got.Acknowledgement != authkit.AcknowledgementPending && got.Acknowledgement != authkit.AcknowledgementComplete {
		t.Fatalf("acknowledgement %q after the race", got.Acknowledgement)
	}
	owner := -1
	for i, set := range sets {
		if set.CreatedAt.Equal(got.CreatedAt) {
			owner = i
		}
	}
	if owner < 0 || owner%2 != 0 {
		t.Fatalf("stored CreatedAt %v is no replacement's", got.CreatedAt)
	}
	want := sets[owner]
	want.Acknowledgement = got.Acknowledgement
	sameSet(t, got, want) // the codes of that one replacement, none of another

	last := recoverySet(t, u, 4)
	if err := s.ReplaceRecoverySet(ctx, last); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetRecoverySet(ctx, u); err != nil || got.Acknowledgement != authkit.AcknowledgementPending {
		t.Fatalf("after a replacement: %q, %v; want pending", got.Acknowledgement, err)
	}
}

// testRecoveryAckConsumeParallel: acknowledgements racing with uses of
// distinct codes: every code is used exactly once, the remaining counts
// are all distinct, and the acknowledgement sticks.
func testRecoveryAckConsumeParallel(t *testing.T, s mfa.Store) {
	u := uniq(t, "user")
	n := Parallelism / 2
	set := recoverySet(t, u, n)
	if _, _, err := s.CreateRecoverySet(ctx, set); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[int]bool{}
	parallel(t, nil, func(i int) error {
		if i%2 == 1 {
			return s.SetAcknowledgement(ctx, u, authkit.AcknowledgementComplete)
		}
		left, err := s.ConsumeRecoveryCode(ctx, u, set.Codes[i/2].Digest)
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		if seen[left] {
			return fmt.Errorf("remaining count %d reported twice", left)
		}
		seen[left] = true
		return nil
	})
	got, err := s.GetRecoverySet(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if got.Acknowledgement != authkit.AcknowledgementComplete || len(got.Codes) != 0 {
		t.Fatalf("after the race: %q with %d codes; want complete with none", got.Acknowledgement, len(got.Codes))
	}
	for _, c := range set.Codes {
		if _, err := s.ConsumeRecoveryCode(ctx, u, c.Digest); err == nil {
			t.Fatalf("code %x usable again", c.Digest[:4])
		}
	}
}
