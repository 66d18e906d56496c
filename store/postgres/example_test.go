package postgres_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authkit/authkit/mfa"
	"github.com/authkit/authkit/oauth"
	"github.com/authkit/authkit/ratelimit"
	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/store/postgres"
	"github.com/authkit/authkit/verification"
)

// A host opens its pool, gives authkit a schema of its own, migrates at
// start-up and hands each package its store. (This example needs a server,
// so it is compiled but not run.)
func Example() {
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig("postgres://app@db.internal:5432/app")
	if err != nil {
		log.Fatal(err)
	}
	postgres.WithSchema(cfg, "authkit")  // CREATE SCHEMA authkit beforehand
	postgres.CancelQueriesOnTimeout(cfg) // abandoned statements roll back
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	store, err := postgres.New(pool, postgres.Options{Timeout: 2 * time.Second})
	if err != nil {
		log.Fatal(err)
	}
	// Every instance may run Migrate at start-up: it is serialised and
	// idempotent.
	if _, err := store.Migrate(ctx); err != nil {
		log.Fatal(err)
	}

	// Each package takes its store in its Config (other fields elided).
	_ = verification.Config{Store: store.Verifications()}
	_ = mfa.Config{Store: store.MFA()}
	_ = session.Config{Store: store.Sessions()}
	_ = oauth.Config{Store: store.OAuthStates()}
	signIns, err := store.Limiter(ratelimit.LimiterConfig{Name: "signin-per-ip", Rule: ratelimit.Rule{Limit: 300, Window: time.Minute}})
	if err != nil {
		log.Fatal(err)
	}
	if d, err := signIns.Allow(ctx, "203.0.113.7"); err != nil || !d.Allowed {
		log.Print("refuse the request") // fail closed on errors too
	}

	// Expired rows go away on a schedule.
	go func() {
		t := time.NewTicker(5 * time.Minute)
		defer t.Stop()
		for range t.C {
			if _, err := store.Cleanup(ctx, time.Now()); err != nil {
				log.Print(err)
			}
		}
	}()
}

// Migrations lists the schema versions Migrate applies, in order.
func ExampleMigrations() {
	for _, m := range postgres.Migrations() {
		fmt.Println(m.Version, m.Name)
	}
	// Output:
	// 1 0001_init.sql
	// 2 0002_accounts.sql
	// 3 0003_passkeys.sql
	// 4 0004_totp_lifetime_failures.sql
	// 5 0005_session_rotation.sql
	// 7 0007_device_nonces.sql
	// 8 0008_ratelimit_sliding.sql
	// 9 0009_mfa_device_owners.sql
	// 10 0010_one_trip_writes.sql
	// 11 0011_recovery_failures.sql
}

// WithSchema sets the search_path of every pooled connection; the DSN
// equivalent is options=-c%20search_path%3Dauthkit.
func ExampleWithSchema() {
	cfg, err := pgxpool.ParseConfig("postgres://app@db.internal:5432/app?pool_max_conns=20")
	if err != nil {
		log.Fatal(err)
	}
	postgres.WithSchema(cfg, "authkit")
	fmt.Println(cfg.ConnConfig.RuntimeParams["search_path"], cfg.MaxConns)
	// Output:
	// "authkit" 20
}
