package postgres_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/account"
)

// Account benchmarks, beside BenchmarkRawFloor: a first sign-in (a new
// credential each time), a returning sign-in (one known credential per
// client) and linking a new credential to a user.

var acctSeq atomic.Int64

func acctCred(name string) account.Credential {
	n := acctSeq.Add(1)
	return account.Credential{Key: fmt.Sprintf("email:%s-%d@example.com", name, n), VerifiedCredential: authkit.VerifiedCredential{
		ID: fmt.Sprintf("c-%s-%d", name, n), Format: authkit.FormatEmail, Email: fmt.Sprintf("%s-%d@example.com", name, n), SignInEnabled: true}}
}

func acctUser(now time.Time) authkit.User {
	return authkit.User{ID: fmt.Sprintf("u-%d", acctSeq.Add(1)), FirstVisit: &now, LastVisit: &now}
}

func BenchmarkAccountFindOrCreate(b *testing.B) {
	now := time.Now().UTC().Truncate(time.Millisecond)
	for _, mode := range []string{"new", "known"} {
		for _, clients := range clientCounts {
			b.Run(fmt.Sprintf("%s/clients=%d", mode, clients), func(b *testing.B) {
				s, writes := benchStore(b)
				a := s.Accounts()
				known := make([]account.Credential, clients)
				for i := range known {
					known[i] = acctCred("known")
				}
				bench(b, writes, clients, func(ctx context.Context, c, _ int) error {
					cred := known[c]
					if mode == "new" {
						cred = acctCred("new")
					}
					_, _, err := a.FindOrCreate(ctx, acctUser(now), cred, now)
					return err
				})
			})
		}
	}
}

func BenchmarkAccountLink(b *testing.B) {
	now := time.Now().UTC().Truncate(time.Millisecond)
	for _, clients := range clientCounts {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			s, writes := benchStore(b)
			a := s.Accounts()
			// A user per call, so that the user read back does not grow.
			users := acctUsers(b, a, b.N+clients, now)
			var next atomic.Int64
			bench(b, writes, clients, func(ctx context.Context, _, _ int) error {
				_, err := a.Link(ctx, users[next.Add(1)-1], acctCred("link"), now)
				return err
			})
		})
	}
}

// acctUsers creates n users, each with one credential.
func acctUsers(b *testing.B, a account.Store, n int, now time.Time) []string {
	users := make([]string, n)
	for i := range users {
		u, _, err := a.FindOrCreate(context.Background(), acctUser(now), acctCred("owner"), now)
		if err != nil {
			b.Fatal(err)
		}
		users[i] = u.ID
	}
	return users
}

// BenchmarkRawWrite is the floor of a write: one autocommitted INSERT of a
// row with a unique key (one round trip and one commit), the fair floor
// beside the account operations, which each commit one transaction.
func BenchmarkRawWrite(b *testing.B) {
	for _, clients := range clientCounts {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			dsn := testDSN(b)
			pool, writes := newCountingPool(b, dsn, newSchema(b, dsn), 16)
			if _, err := pool.Exec(context.Background(), `CREATE TABLE raw_write (k text PRIMARY KEY, v jsonb NOT NULL)`); err != nil {
				b.Fatal(err)
			}
			bench(b, writes, clients, func(ctx context.Context, _, _ int) error {
				_, err := pool.Exec(ctx, `INSERT INTO raw_write (k, v) VALUES ($1, '{}')`, fmt.Sprint("k-", acctSeq.Add(1)))
				return err
			})
		})
	}
}
