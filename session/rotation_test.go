package session_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/authkit/authkit/internal/race"
	"github.com/authkit/authkit/session"
)

// countingStore counts the calls per method that reach the wrapped store.
type countingStore struct {
	session.Store
	mu    sync.Mutex
	calls map[string]int
}

func (c *countingStore) count(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.calls == nil {
		c.calls = map[string]int{}
	}
	c.calls[name]++
}

func (c *countingStore) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for k, v := range c.calls {
		out[k] = v
	}
	c.calls = nil
	return out
}

func (c *countingStore) Get(ctx context.Context, id string) (session.Record, error) {
	c.count("Get")
	return c.Store.Get(ctx, id)
}

func (c *countingStore) Touch(ctx context.Context, id string, seen time.Time) error {
	c.count("Touch")
	return c.Store.Touch(ctx, id, seen)
}

func (c *countingStore) Rotate(ctx context.Context, id string, gen uint64, now, grace time.Time) (session.Record, error) {
	c.count("Rotate")
	return c.Store.Rotate(ctx, id, gen, now, grace)
}

// TestVerifyOneStoreRead: Verify checks revocation, owner, maximum age and
// the refresh generation with one store call (Get), and writes last-seen
// at most once per TouchInterval; Refresh is one Rotate and nothing else.
func TestVerifyOneStoreRead(t *testing.T) {
	ctx := context.Background()
	cs := &countingStore{Store: session.NewMemoryStore()}
	f := newFixture(t, session.ES256, false, func(c *session.Config) { c.Stateless, c.Store = false, cs })
	tok, err := f.m.Mint(ctx, testUser(1), session.MintOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cs.snapshot()
	for range 50 {
		f.clk.Advance(time.Second)
		if _, err := f.m.Verify(ctx, tok.MinifiedJWT, session.KindSession); err != nil {
			t.Fatal(err)
		}
	}
	if got := cs.snapshot(); got["Get"] != 50 || got["Touch"] != 0 || len(got) != 1 {
		t.Fatalf("50 verifies within a minute: store calls %v, want 50 Get and nothing else", got)
	}
	f.clk.Advance(11 * time.Second) // 61 s after creation
	for range 3 {
		if _, err := f.m.Verify(ctx, tok.MinifiedJWT, session.KindSession); err != nil {
			t.Fatal(err)
		}
	}
	if got := cs.snapshot(); got["Get"] != 3 || got["Touch"] != 1 {
		t.Fatalf("after the touch interval: store calls %v, want 3 Get and 1 Touch", got)
	}
	recs, err := f.m.Sessions(ctx, testUser(1).ID)
	if err != nil || len(recs) != 1 || !recs[0].LastSeenAt.Equal(f.clk.Now()) {
		t.Fatalf("Sessions: %+v, %v; want last seen %v", recs, err, f.clk.Now())
	}
	cs.snapshot()
	if _, err := f.m.Refresh(ctx, tok.MinifiedJWT, lookup(testUser(1))); err != nil {
		t.Fatal(err)
	}
	if got := cs.snapshot(); got["Rotate"] != 1 || len(got) != 1 {
		t.Fatalf("Refresh store calls %v, want one Rotate", got)
	}
}

// TestRefreshRotation: the generation advances with each refresh; a
// superseded token authenticates only within the grace window; a second
// refresh of it within the window returns the current generation; after
// the window it revokes the session and every token of it fails.
func TestRefreshRotation(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, session.EdDSA, true)
	user := testUser(1)
	t0, err := f.m.Mint(ctx, user, session.MintOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if t0.Claims.Generation != 0 {
		t.Fatalf("new session at generation %d", t0.Claims.Generation)
	}
	t1, err := f.m.Refresh(ctx, t0.MinifiedJWT, lookup(user))
	if err != nil {
		t.Fatal(err)
	}
	if t1.Claims.Generation != 1 {
		t.Fatalf("after one refresh: generation %d", t1.Claims.Generation)
	}
	f.clk.Advance(session.DefaultRefreshGrace - time.Second)
	tab2, err := f.m.Refresh(ctx, t0.JWT, lookup(user))
	if err != nil || tab2.Claims.Generation != 1 {
		t.Fatalf("second tab within the grace window: %v, generation %v", err, tab2.Claims)
	}
	if _, err := f.m.Verify(ctx, t0.MinifiedJWT, session.KindSession); err != nil {
		t.Fatalf("superseded token within the grace window: %v", err)
	}
	f.clk.Advance(time.Second)
	if _, err := f.m.Verify(ctx, t0.MinifiedJWT, session.KindSession); !errors.Is(err, session.ErrSuperseded) {
		t.Fatalf("superseded token after the grace window: %v, want ErrSuperseded", err)
	}
	// A reissue (Mint into the session) keeps the generation.
	re, err := f.m.Mint(ctx, user, session.MintOptions{SessionID: t1.SessionID})
	if err != nil || re.Claims.Generation != 1 {
		t.Fatalf("reissue: %v, generation %v", err, re.Claims)
	}
	// Reuse: the whole session ends.
	_, err = f.m.Refresh(ctx, t0.MinifiedJWT, lookup(user))
	if !errors.Is(err, session.ErrRefreshReuse) || !errors.Is(err, session.ErrRevoked) {
		t.Fatalf("reuse after the grace window = %v, want ErrRefreshReuse", err)
	}
	for _, tok := range []string{t1.MinifiedJWT, t1.JWT, tab2.MinifiedJWT, re.MinifiedJWT} {
		if _, err := f.m.Verify(ctx, tok, session.KindSession); !errors.Is(err, session.ErrRevoked) {
			t.Fatalf("token of the revoked session: %v", err)
		}
	}
	if _, err := f.m.Refresh(ctx, t1.MinifiedJWT, lookup(user)); !errors.Is(err, session.ErrRevoked) {
		t.Fatalf("refresh of the revoked session: %v", err)
	}
}

// TestRefreshParallel: N goroutines refresh one token at once; the
// generation advances once and none is taken for theft.
func TestRefreshParallel(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, session.ES256, true)
	user := testUser(1)
	tok, err := f.m.Mint(ctx, user, session.MintOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var maxGen atomic.Uint64
	errs := race.Run(32, func(int) error {
		n, err := f.m.Refresh(ctx, tok.MinifiedJWT, lookup(user))
		if err == nil && n.Claims.Generation > maxGen.Load() {
			maxGen.Store(n.Claims.Generation)
		}
		return err
	})
	for _, err := range errs {
		if err != nil {
			t.Fatalf("parallel refresh: %v", err)
		}
	}
	if maxGen.Load() != 1 {
		t.Fatalf("parallel refreshes reached generation %d, want 1", maxGen.Load())
	}
}

func TestIPPrefix(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.77":               "203.0.113.0/24",
		"203.0.113.77:5123":          "203.0.113.0/24",
		"::ffff:203.0.113.77":        "203.0.113.0/24",
		"[2001:db8:abcd:12::1]:443":  "2001:db8:abcd::/48",
		"2001:db8:abcd:12::1":        "2001:db8:abcd::/48",
		"fe80::1%eth0":               "fe80::/48",
		"":                           "",
		"not an ip":                  "",
		"203.0.113.77, 198.51.100.1": "",
	} {
		if got := session.IPPrefix(in); got != want {
			t.Errorf("IPPrefix(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestInventory: sessions list with user agent and network prefix only;
// RevokeSession refuses another user's session as not found;
// RevokeOthers keeps the current one.
func TestInventory(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, session.ES256, true)
	user, other := testUser(1), testUserOther()
	long := strings.Repeat("é", 500) // 1000 bytes, cut on a rune boundary
	a, _ := f.m.Mint(ctx, user, session.MintOptions{UserAgent: "Firefox\r\nX-Injected: 1", RemoteIP: "198.51.100.23:4431"})
	f.clk.Advance(time.Minute)
	b, _ := f.m.Mint(ctx, user, session.MintOptions{UserAgent: long, RemoteIP: "2001:db8:1:2::3"})
	theirs, _ := f.m.Mint(ctx, other, session.MintOptions{})
	list, err := f.m.Sessions(ctx, user.ID)
	if err != nil || len(list) != 2 {
		t.Fatalf("Sessions = %d, %v", len(list), err)
	}
	if list[0].ID != b.SessionID || list[1].ID != a.SessionID {
		t.Fatal("Sessions not ordered by last seen, newest first")
	}
	if list[1].UserAgent != "FirefoxX-Injected: 1" || list[1].IPPrefix != "198.51.100.0/24" {
		t.Fatalf("a: %q %q", list[1].UserAgent, list[1].IPPrefix)
	}
	if ua := list[0].UserAgent; len(ua) != session.MaxUserAgentLength || !utf8.ValidString(ua) || list[0].IPPrefix != "2001:db8:1::/48" {
		t.Fatalf("b: %d bytes of user agent, %q", len(list[0].UserAgent), list[0].IPPrefix)
	}
	if err := f.m.RevokeSession(ctx, user.ID, theirs.SessionID); !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("RevokeSession(another user's) = %v, want ErrNotFound", err)
	}
	if _, err := f.m.Verify(ctx, theirs.MinifiedJWT, session.KindSession); err != nil {
		t.Fatalf("the other user's session was touched: %v", err)
	}
	if n, err := f.m.RevokeOthers(ctx, user.ID, b.SessionID); err != nil || n != 1 {
		t.Fatalf("RevokeOthers = %d, %v", n, err)
	}
	if _, err := f.m.Verify(ctx, a.MinifiedJWT, session.KindSession); !errors.Is(err, session.ErrRevoked) {
		t.Fatalf("revoked other session: %v", err)
	}
	if _, err := f.m.Verify(ctx, b.MinifiedJWT, session.KindSession); err != nil {
		t.Fatalf("current session after RevokeOthers: %v", err)
	}
	if err := f.m.RevokeSession(ctx, user.ID, b.SessionID); err != nil {
		t.Fatal(err)
	}
	if list, _ := f.m.Sessions(ctx, user.ID); len(list) != 0 {
		t.Fatalf("%d sessions left", len(list))
	}
}
