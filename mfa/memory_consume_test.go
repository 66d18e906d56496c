package mfa

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"
)

// TestMemoryStoreConsumeKeepsOrder: consume removes a code in place by
// moving the shorter side of the list; from the front, the middle or the
// back, the codes left keep their order and the removed one is gone.
func TestMemoryStoreConsumeKeepsOrder(t *testing.T) {
	ctx := context.Background()
	const n = 10
	for _, i := range []int{0, 3, n/2 - 1, n / 2, 7, n - 1} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			m := NewMemoryStore()
			set := RecoverySet{UserID: "u"}
			for c := range n {
				set.Codes = append(set.Codes, RecoveryCodeRecord{Digest: []byte{byte(c)}, Sealed: []byte{byte(c), 's'}})
			}
			if err := m.ReplaceRecoverySet(ctx, set); err != nil {
				t.Fatal(err)
			}
			if left, err := m.ConsumeRecoveryCode(ctx, "u", set.Codes[i].Digest); err != nil || left != n-1 {
				t.Fatalf("ConsumeRecoveryCode(code %d) = %d, %v; want %d, nil", i, left, err, n-1)
			}
			got, err := m.GetRecoverySet(ctx, "u")
			if err != nil {
				t.Fatal(err)
			}
			want := slices.Delete(slices.Clone(set.Codes), i, i+1)
			if !slices.EqualFunc(got.Codes, want, func(a, b RecoveryCodeRecord) bool {
				return bytes.Equal(a.Digest, b.Digest) && bytes.Equal(a.Sealed, b.Sealed)
			}) {
				t.Fatalf("codes after consuming code %d: %v, want %v", i, got.Codes, want)
			}
		})
	}
}
