package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migration is one versioned schema change, embedded in the binary.
type Migration struct {
	// Version is the number the file name starts with; migrations apply in
	// increasing order, each once.
	Version int
	// Name is the file name, e.g. "0001_init.sql".
	Name string
	// SQL is the file's content.
	SQL string
}

// Migrations returns the embedded migrations in the order Migrate applies
// them.
func Migrations() []Migration {
	ms, err := loadMigrations()
	if err != nil {
		// The files are embedded at build time and checked by the tests;
		// a bad name is a build defect, reported here as an empty list
		// rather than a panic (Migrate reports the error itself).
		return nil
	}
	return ms
}

func loadMigrations() ([]Migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []Migration
	seen := map[int]bool{}
	for _, e := range entries {
		digits, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(digits)
		if !ok || err != nil || v < 1 || seen[v] {
			return nil, fmt.Errorf("postgres: bad migration file name %q", e.Name())
		}
		seen[v] = true
		b, err := migrationFiles.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: e.Name(), SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	return ms, nil
}

// migrationsTable records the applied versions, in the same schema as the
// tables it describes.
const migrationsTable = "authkit_schema_migrations"

// Migrate brings the schema up to date: it applies, in one transaction, each
// embedded migration not yet recorded in authkit_schema_migrations, in the
// first schema of the search_path (current_schema()), and returns the
// versions it applied. It is idempotent, and safe when several processes run
// it at once: a transaction-scoped advisory lock keyed by the schema name
// serialises them, and the later ones find nothing left to do. Hosts call it
// at start-up (or from a deploy step) before using the store.
func (s *Store) Migrate(ctx context.Context) ([]int, error) {
	ms, err := loadMigrations()
	if err != nil {
		return nil, err
	}
	var applied []int
	err = s.run(ctx, "migrate", func(ctx context.Context) error {
		applied = applied[:0]
		// READ COMMITTED whatever the session's default: the statements
		// after the advisory lock must see what the previous holder
		// committed (see beginReadCommitted).
		return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
			var schema *string
			if err := tx.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
				return err
			}
			if schema == nil {
				return fmt.Errorf("no schema of the search_path exists")
			}
			// Different schemas migrate independently (tests run one per
			// schema in parallel); one schema is migrated by one process
			// at a time.
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('authkit.migrate.' || $1, 0))`, *schema); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+migrationsTable+` (
				version    integer     PRIMARY KEY,
				name       text        NOT NULL,
				applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
				return err
			}
			done := map[int]bool{}
			rows, err := tx.Query(ctx, `SELECT version FROM `+migrationsTable)
			if err != nil {
				return err
			}
			versions, err := pgx.CollectRows(rows, pgx.RowTo[int])
			if err != nil {
				return err
			}
			for _, v := range versions {
				done[v] = true
			}
			for _, m := range ms {
				if done[m.Version] {
					continue
				}
				if _, err := tx.Exec(ctx, m.SQL); err != nil {
					return fmt.Errorf("migration %s: %w", m.Name, err)
				}
				if _, err := tx.Exec(ctx, `INSERT INTO `+migrationsTable+` (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
					return err
				}
				applied = append(applied, m.Version)
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return applied, nil
}
