package postgres

import (
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"
)

// WithSchema makes every connection of cfg use schema (created by the host
// beforehand) as its search_path, so that Migrate creates the tables there
// and the store finds them there. It is the same as adding
// options=-c search_path=<schema> to the DSN. Call it before
// pgxpool.NewWithConfig.
func WithSchema(cfg *pgxpool.Config, schema string) {
	if cfg.ConnConfig.RuntimeParams == nil {
		cfg.ConnConfig.RuntimeParams = map[string]string{}
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{schema}.Sanitize()
}

// CancelQueriesOnTimeout makes every connection of cfg ask the server to
// cancel the running statement when its context ends, instead of only
// abandoning the connection (pgx's default). With the default, a statement
// that is waiting for a row lock when the caller gives up still runs, and
// may commit, once the lock is released: the caller was told ErrUnavailable
// and accepted nothing, so this fails closed, but a code or state can be
// used up without anyone learning it. With cancellation the abandoned
// statement is rolled back. If the server does not answer the cancel
// request, the connection is abandoned one second later. Call it before
// pgxpool.NewWithConfig.
func CancelQueriesOnTimeout(cfg *pgxpool.Config) {
	cfg.ConnConfig.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: time.Second}
	}
}
