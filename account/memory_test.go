package account_test

import (
	"testing"

	"github.com/authkit/authkit/account"
	"github.com/authkit/authkit/account/accounttest"
)

func TestMemoryStore(t *testing.T) {
	accounttest.RunStoreTests(t, func(*testing.T) account.Store { return account.NewMemoryStore() })
}

func TestMemoryStoreShared(t *testing.T) {
	s := account.NewMemoryStore()
	accounttest.RunStoreTests(t, func(*testing.T) account.Store { return s })
}
