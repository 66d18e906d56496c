package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// pgCounter is a pgx tracer that counts, per flow, the statements sent
// to PostgreSQL and the round trips they took (a batch is one round trip
// however many statements it holds; BEGIN and COMMIT are one each).
type pgCounter struct {
	mu         sync.Mutex
	inBatch    int
	statements int
	roundTrips int
	sqls       []string
}

func (c *pgCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.statements++
	if c.inBatch == 0 {
		c.roundTrips++
	}
	c.sqls = append(c.sqls, strings.Join(strings.Fields(d.SQL), " "))
	return ctx
}

func (c *pgCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (c *pgCounter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inBatch++
	c.roundTrips++
	return ctx
}

func (c *pgCounter) TraceBatchQuery(_ context.Context, _ *pgx.Conn, d pgx.TraceBatchQueryData) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.statements++
	c.sqls = append(c.sqls, "(batch) "+strings.Join(strings.Fields(d.SQL), " "))
}

func (c *pgCounter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inBatch--
}

// take returns the counts since the last take and resets them.
func (c *pgCounter) take() (statements, roundTrips int, sqls []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	statements, roundTrips, sqls = c.statements, c.roundTrips, c.sqls
	c.statements, c.roundTrips, c.sqls = 0, 0, nil
	return
}

// The SMS sign-in on PostgreSQL makes a known number of statements and
// round trips per request, for a first and for a returning sign-in;
// TestPostgresStatementsPerSignIn pins them so that they cannot change
// unnoticed.
func TestPostgresStatementsPerSignIn(t *testing.T) {
	counter := &pgCounter{}
	stores := func(t *testing.T, env string) *storeSet {
		return openTestPostgres(t, env, func(pc *pgxpool.Config) { pc.ConnConfig.Tracer = counter })
	}
	e := newTestEnv(t, stores)
	h := e.srv.Handler()
	call := func(method, path string, body any, v any) (statements, roundTrips int) {
		t.Helper()
		var rd io.Reader
		if body != nil {
			j, _ := json.Marshal(body)
			rd = bytes.NewReader(j)
		}
		r := httptest.NewRequest(method, path, rd)
		if body != nil {
			r.Header.Set("Content-Type", "application/json")
		}
		counter.take()
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		st, rt, sqls := counter.take()
		if w.Code/100 != 2 {
			t.Fatalf("%s %s: %d %s", method, path, w.Code, w.Body)
		}
		if err := json.Unmarshal(w.Body.Bytes(), v); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s %s: %d statements, %d round trips", method, path, st, rt)
		for _, q := range sqls {
			t.Logf("    %.160s", q)
		}
		return st, rt
	}
	signIn := func(national string) (perRequest [3][2]int) {
		var created smsCreateResponse
		perRequest[0][0], perRequest[0][1] = call("POST", apiPrefix+testEnvID+"/smsVerifications/create", smsBody(national), &created)
		var msgs []devMessage
		perRequest[1][0], perRequest[1][1] = call("GET", "/dev/messages?to="+url.QueryEscape("+1"+national), nil, &msgs)
		var v verifyResponse
		perRequest[2][0], perRequest[2][1] = call("POST", apiPrefix+testEnvID+"/smsVerifications/signin", map[string]any{
			"verificationUUID": created.VerificationUUID, "verificationToken": msgs[len(msgs)-1].Code,
		}, &v)
		return perRequest
	}
	nationalA, _ := testPhone(70)
	nationalB, _ := testPhone(71)
	signIn(nationalA) // warm-up: prepared statements, pool
	tests := []struct {
		name     string
		national string
		// want holds, per request (create, dev/messages, signin), the
		// statements and round trips it makes: exactly, so that a change
		// either way shows here.
		want [3][2]int
	}{
		{"first sign-in", nationalB, [3][2]int{{1, 1}, {0, 0}, {7, 4}}},
		{"returning user", nationalA, [3][2]int{{1, 1}, {0, 0}, {10, 7}}},
	}
	for _, tc := range tests {
		e.clock.Advance(time.Hour) // past the per-destination send limits
		got := signIn(tc.national)
		for i, name := range []string{"create", "dev/messages", "signin"} {
			if got[i] != tc.want[i] {
				t.Errorf("%s, %s: %d statements in %d round trips, want %d in %d", tc.name, name, got[i][0], got[i][1], tc.want[i][0], tc.want[i][1])
			}
		}
		t.Logf("%s: create %v, signin %v (statements, round trips)", tc.name, got[0], got[2])
	}
}
