package redis

import (
	"strings"
	"testing"

	"github.com/authkit/authkit/account"
	"github.com/authkit/authkit/account/accounttest"
)

func TestAccountConformance(t *testing.T) {
	accounttest.RunStoreTests(t, func(t *testing.T) account.Store { return newTestStore(t).Accounts() })
}

// TestAccountKeysOneSlot: the index and every user hash share one hash
// tag, so the scripts spanning them run on Cluster, whatever the user id.
func TestAccountKeysOneSlot(t *testing.T) {
	a := (&Store{prefix: "p"}).Accounts()
	tag := func(k string) string { return k[strings.IndexByte(k, '{')+1 : strings.IndexByte(k, '}')] }
	want := tag(a.idxKey())
	for _, id := range []string{"7c1e0a52-6c1b-4c9e-9d0e-2b8f5c1a9e11", "a}b{c", "x:y", strings.Repeat("z", 300)} {
		if k := a.userKey(id); tag(k) != want || strings.Count(k, "{") != 1 || strings.Count(k, "}") != 1 {
			t.Fatalf("user key %q: tag %q, want %q and one pair of braces", k, tag(k), want)
		}
	}
}
