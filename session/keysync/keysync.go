package keysync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/authkit/authkit/session"
)

// ErrSchedule: a key was scheduled to sign before verifiers can have
// fetched it (SignFrom earlier than now + Config.Overlap), or a stored
// entry cannot be used (not the public JWK of its kid).
var ErrSchedule = errors.New("keysync: invalid key schedule")

// PublishedKey is one entry of a shared key set: a public key and its
// schedule. Private keys are never stored: each instance is configured
// with the crypto.Signers it signs with (the same KMS key, or the same
// PEM), and the store only makes every instance publish the same JWKS and
// switch keys at the same time.
type PublishedKey struct {
	// KID is the key id (RFC 7638 thumbprint of JWK).
	KID string
	// JWK is the public JWK (kty, crv/x/y or n/e, kid, alg, use), as JSON.
	JWK []byte
	// PublishAt is when the key enters the JWKS.
	PublishAt time.Time
	// SignFrom is when tokens start being signed with it: at least the
	// JWKS cache lifetime after PublishAt, so that every verifier holding
	// a cached JWKS already knows it.
	SignFrom time.Time
}

// Store shares a key set between instances: memory (tests, one process),
// PostgreSQL or Redis. Each method is one atomic operation.
type Store interface {
	// PublishKey stores k. A kid already stored is session.ErrDuplicate (the
	// stored entry stays as it is).
	PublishKey(ctx context.Context, k PublishedKey) error
	// PublishedKeys returns every stored entry, in any order.
	PublishedKeys(ctx context.Context) ([]PublishedKey, error)
	// DeleteKey removes the entry of kid; an unknown kid is not an error.
	DeleteKey(ctx context.Context, kid string) error
}

// Config configures a Syncer.
type Config struct {
	// Store is the shared key set. Required.
	Store Store
	// Signers are the signing keys this instance holds, typically the
	// current one and the next (KMS handles or PEMs). A scheduled key
	// this instance has no signer for is published but never signs here;
	// Sync reports it (session.ErrConfig) once it should. Required.
	Signers []*session.Key
	// Overlap is the least time between publishing a key and signing
	// with it. Default twice the manager's JWKSMaxAge; it must exceed
	// JWKSMaxAge, and Run's interval must be at most Overlap − JWKSMaxAge.
	Overlap time.Duration
	// OnError receives Run's Sync errors. Optional.
	OnError func(error)
}

// Syncer keeps a Manager's key set equal to the shared one: every
// instance publishes the same keys and signs with the same key at the same
// time. Rotation is "publish at T, sign from T+overlap": Schedule stores
// the next key with both times; it enters every instance's JWKS at its
// next Sync, and each instance switches to it exactly at SignFrom (the
// switch is in the key set, not the sync loop). A replaced key stays
// published until every token it signed has expired
// (session.Manager.KeyRetention after the switch), then Sync deletes it.
type Syncer struct {
	keys    *session.KeySet
	now     func() time.Time
	maxAge  time.Duration // the manager's JWKSMaxAge
	cfg     Config
	signers map[string]*session.Key
	retain  time.Duration
	mu      sync.Mutex // one Sync at a time
}

// New validates cfg and returns a Syncer for m's key set. Call Sync once
// at start-up (it publishes the first signer when the store is empty),
// then Run in a goroutine. A nil m or Config.Store is an error wrapping
// session.ErrConfig.
func New(m *session.Manager, cfg Config) (*Syncer, error) {
	if m == nil || cfg.Store == nil {
		return nil, fmt.Errorf("%w: keysync needs a Manager and a Store", session.ErrConfig)
	}
	if len(cfg.Signers) == 0 {
		return nil, fmt.Errorf("%w: keysync needs at least one signer", session.ErrConfig)
	}
	if cfg.Overlap < 0 {
		return nil, fmt.Errorf("%w: negative Overlap", session.ErrConfig)
	}
	mc := m.Config()
	if cfg.Overlap == 0 {
		cfg.Overlap = 2 * mc.JWKSMaxAge
	}
	if cfg.Overlap <= mc.JWKSMaxAge {
		// A verifier may hold a JWKS fetched just before the key entered
		// it for JWKSMaxAge: the key would sign before that verifier knows it.
		return nil, fmt.Errorf("%w: Overlap %v must exceed JWKSMaxAge %v", session.ErrConfig, cfg.Overlap, mc.JWKSMaxAge)
	}
	s := &Syncer{keys: mc.Keys, now: mc.Now, maxAge: mc.JWKSMaxAge, cfg: cfg,
		signers: make(map[string]*session.Key, len(cfg.Signers)), retain: m.KeyRetention()}
	for i, k := range cfg.Signers {
		if k == nil || !k.CanSign() {
			return nil, fmt.Errorf("%w: signer %d holds no private key", session.ErrConfig, i)
		}
		s.signers[k.KID()] = k
	}
	return s, nil
}

// Schedule publishes next now and makes it the signing key from signFrom,
// which must be at least Overlap away. Scheduling a kid already stored is
// not an error (another instance did it). next needs no private key: the
// instances that sign must hold its signer.
func (s *Syncer) Schedule(ctx context.Context, next *session.Key, signFrom time.Time) error {
	if next == nil {
		return fmt.Errorf("%w: nil key", session.ErrConfig)
	}
	now := s.now()
	if signFrom.Before(now.Add(s.cfg.Overlap)) {
		return fmt.Errorf("%w: signing from %v is less than %v after publication", ErrSchedule, signFrom, s.cfg.Overlap)
	}
	if err := s.publish(ctx, next, now, signFrom); err != nil {
		return err
	}
	return s.Sync(ctx)
}

// publish stores k's public JWK with its schedule; a kid already stored
// is not an error.
func (s *Syncer) publish(ctx context.Context, k *session.Key, at, signFrom time.Time) error {
	jwk, err := k.PublicOnly().MarshalJWK()
	if err != nil {
		return err
	}
	err = s.cfg.Store.PublishKey(ctx, PublishedKey{KID: k.KID(), JWK: jwk, PublishAt: at, SignFrom: signFrom})
	if err != nil && !errors.Is(err, session.ErrDuplicate) {
		return fmt.Errorf("keysync: store: %w", err)
	}
	return nil
}

// Run calls Sync every interval until ctx ends, and returns ctx's error.
// A scheduled key reaches this instance's JWKS up to interval after it is
// published and verifiers cache that JWKS for JWKSMaxAge, so interval must
// be at most Overlap − JWKSMaxAge (session.ErrConfig otherwise); a minute
// is typical.
func (s *Syncer) Run(ctx context.Context, interval time.Duration) error {
	if interval <= 0 || interval > s.cfg.Overlap-s.maxAge {
		return fmt.Errorf("%w: interval must be positive and at most Overlap − JWKSMaxAge (%v)", session.ErrConfig, s.cfg.Overlap-s.maxAge)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			if err := s.Sync(ctx); err != nil && s.cfg.OnError != nil {
				s.cfg.OnError(err)
			}
		}
	}
}

// Sync reads the shared key set and installs it in the manager's key
// set: the keys published now, the signing key (the latest whose SignFrom
// has come), and the next one with its switch time. An empty store is
// seeded with the first signer, signing at once. On an error the key set
// is left as it was.
func (s *Syncer) Sync(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	recs, err := s.cfg.Store.PublishedKeys(ctx)
	if err != nil {
		return fmt.Errorf("keysync: store: %w", err)
	}
	if len(recs) == 0 {
		if err := s.publish(ctx, s.cfg.Signers[0], now, now); err != nil {
			return err
		}
		if recs, err = s.cfg.Store.PublishedKeys(ctx); err != nil {
			return fmt.Errorf("keysync: store: %w", err)
		}
	}
	type entry struct {
		PublishedKey
		key *session.Key
	}
	entries := make([]entry, 0, len(recs))
	for _, r := range recs {
		k, err := session.ParseKey(r.JWK)
		if err != nil {
			return fmt.Errorf("%w: key %q: %w", ErrSchedule, r.KID, err)
		}
		if k.KID() != r.KID || k.CanSign() {
			return fmt.Errorf("%w: key %q: kid mismatch or private members", ErrSchedule, r.KID)
		}
		entries = append(entries, entry{r, k})
	}
	slices.SortFunc(entries, func(a, b entry) int {
		if c := a.SignFrom.Compare(b.SignFrom); c != 0 {
			return c
		}
		return a.PublishAt.Compare(b.PublishAt)
	})
	cur := -1
	for i, e := range entries {
		if !e.SignFrom.After(now) {
			cur = i
		}
	}
	if cur < 0 {
		return fmt.Errorf("%w: no stored key signs yet", ErrSchedule)
	}
	active, ok := s.signers[entries[cur].KID]
	if !ok {
		return fmt.Errorf("%w: this instance holds no signer for key %q", session.ErrConfig, entries[cur].KID)
	}
	var (
		next     *session.Key
		nextFrom time.Time
		pub      []*session.Key
		until    []time.Time
	)
	if cur+1 < len(entries) && !entries[cur+1].PublishAt.After(now) {
		// The next key switches in at its SignFrom, between syncs; an
		// instance without its signer keeps the current one and Sync
		// reports it once the time has come.
		if k, ok := s.signers[entries[cur+1].KID]; ok {
			next, nextFrom = k, entries[cur+1].SignFrom
		}
	}
	for i, e := range entries {
		if i == cur {
			continue
		}
		end := time.Time{}
		if i < cur {
			// Replaced when the following key started signing.
			end = entries[i+1].SignFrom.Add(s.retain)
			if now.After(end) {
				if err := s.cfg.Store.DeleteKey(ctx, e.KID); err != nil {
					return fmt.Errorf("keysync: store: %w", err)
				}
				continue
			}
		}
		if e.PublishAt.After(now) {
			continue // published at its time by a later Sync
		}
		pub, until = append(pub, e.key), append(until, end)
	}
	return s.keys.Install(active, next, nextFrom, pub, until)
}
