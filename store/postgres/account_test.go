package postgres_test

import (
	"testing"

	"github.com/authkit/authkit/account"
	"github.com/authkit/authkit/account/accounttest"
	"github.com/authkit/authkit/store/postgres"
)

func TestAccountStore(t *testing.T) {
	s, _ := newStore(t, postgres.Options{})
	accounttest.RunStoreTests(t, func(*testing.T) account.Store { return s.Accounts() })
}
