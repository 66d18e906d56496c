package postgres_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authkit/authkit/store/postgres"
)

func TestMigrationsList(t *testing.T) {
	ms := postgres.Migrations()
	if len(ms) == 0 {
		t.Fatal("no embedded migrations")
	}
	// Versions are assigned to parallel branches ahead of time, so a gap
	// may exist until every branch has landed; they must start at 1 and
	// increase.
	for i, m := range ms {
		if i == 0 && m.Version != 1 || i > 0 && m.Version <= ms[i-1].Version {
			t.Fatalf("migration %d has version %d; versions must start at 1 and increase", i, m.Version)
		}
		if !strings.HasSuffix(m.Name, ".sql") || strings.TrimSpace(m.SQL) == "" {
			t.Fatalf("migration %+v: want a non-empty .sql file", m.Name)
		}
	}
}

func TestMigrateIdempotent(t *testing.T) {
	dsn := testDSN(t)
	pool := newPool(t, dsn, newSchema(t, dsn), 4)
	s, err := postgres.New(pool, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	applied, err := s.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := versions(); !slices.Equal(applied, want) {
		t.Fatalf("first Migrate applied %v, want %v", applied, want)
	}
	again, err := s.Migrate(ctx)
	if err != nil || len(again) != 0 {
		t.Fatalf("second Migrate = %v, %v; want nothing applied", again, err)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM authkit_schema_migrations`).Scan(&n); err != nil || n != len(versions()) {
		t.Fatalf("authkit_schema_migrations holds %d rows (%v), want %d", n, err, len(versions()))
	}
}

// TestMigrateConcurrent runs Migrate from several "processes" (separate
// pools) on one schema at once: exactly one applies each version, the
// others find nothing to do, and none fails.
func TestMigrateConcurrent(t *testing.T) {
	dsn := testDSN(t)
	schema := newSchema(t, dsn)
	const procs = 6
	stores := make([]*postgres.Store, procs)
	for i := range stores {
		s, err := postgres.New(newPool(t, dsn, schema, 2), postgres.Options{Timeout: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		stores[i] = s
	}
	var wg sync.WaitGroup
	results := make([][]int, procs)
	errs := make([]error, procs)
	start := make(chan struct{})
	for i, s := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i], errs[i] = s.Migrate(context.Background())
		}()
	}
	close(start)
	wg.Wait()
	var all []int
	for i := range procs {
		if errs[i] != nil {
			t.Fatalf("Migrate %d: %v", i, errs[i])
		}
		all = append(all, results[i]...)
	}
	slices.Sort(all)
	if want := versions(); !slices.Equal(all, want) {
		t.Fatalf("versions applied across %d concurrent Migrate calls: %v, want each of %v once", procs, all, want)
	}
	// And the schema works.
	if _, err := stores[0].Sessions().Get(context.Background(), "x"); err == nil || errors.Is(err, postgres.ErrUnavailable) {
		t.Fatalf("Get on the migrated schema: %v, want ErrNotFound", err)
	}
}

// TestMigrateIsolatesSchemas checks that Migrate honours the search_path:
// two schemas migrate independently and hold separate data.
func TestMigrateIsolatesSchemas(t *testing.T) {
	a, _ := newStore(t, postgres.Options{})
	b, _ := newStore(t, postgres.Options{})
	ctx := context.Background()
	if err := a.Sessions().ConsumeJTI(ctx, "shared-jti", farFuture, farPast); err != nil {
		t.Fatal(err)
	}
	if err := b.Sessions().ConsumeJTI(ctx, "shared-jti", farFuture, farPast); err != nil {
		t.Fatalf("a token id used in schema a counted as used in schema b: %v", err)
	}
}

func TestMigrateMissingSchema(t *testing.T) {
	dsn := testDSN(t)
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	postgres.WithSchema(cfg, "authkit_no_such_schema_"+randomHex(t, 4))
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	s, err := postgres.New(pool, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(context.Background()); !errors.Is(err, postgres.ErrUnavailable) {
		t.Fatalf("Migrate with no existing schema on the search_path = %v, want ErrUnavailable", err)
	}
}

func versions() []int {
	var vs []int
	for _, m := range postgres.Migrations() {
		vs = append(vs, m.Version)
	}
	return vs
}
