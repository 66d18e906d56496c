package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

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

// KeyStore shares a key set between instances: memory (tests, one
// process), Postgres or Redis. Each method is one atomic operation.
type KeyStore interface {
	// PublishKey stores k. A kid already stored is ErrDuplicate (the stored
	// entry stays as it is).
	PublishKey(ctx context.Context, k PublishedKey) error
	// PublishedKeys returns every stored entry, in any order.
	PublishedKeys(ctx context.Context) ([]PublishedKey, error)
	// DeleteKey removes the entry of kid; an unknown kid is not an error.
	DeleteKey(ctx context.Context, kid string) error
}

// KeySyncConfig configures a KeySync.
type KeySyncConfig struct {
	// Store is the shared key set. Required.
	Store KeyStore
	// Signers are the signing keys this instance holds, typically the
	// current one and the next (KMS handles or PEMs). A scheduled key
	// this instance has no signer for is published but never signs here;
	// Sync reports errNoSigningKey once it should. Required.
	Signers []*Key
	// Overlap is the least time between publishing a key and signing
	// with it. Default twice the manager's JWKSMaxAge; it must exceed
	// JWKSMaxAge, and Run's interval must be at most Overlap − JWKSMaxAge.
	Overlap time.Duration
	// OnError receives Run's Sync errors. Optional.
	OnError func(error)
}

// KeySync keeps a Manager's key set equal to the shared one: every
// instance publishes the same keys and signs with the same key at the same
// time. Rotation is "publish at T, sign from T+overlap": Schedule stores
// the next key with both times; it enters every instance's JWKS at its
// next Sync, and each instance switches to it exactly at SignFrom (the
// switch is in the key set, not the sync loop). A replaced key stays
// published until every token it signed has expired (the longest token
// lifetime plus the leeway after the switch), then Sync deletes it.
type KeySync struct {
	m       *Manager
	cfg     KeySyncConfig
	signers map[string]*Key
	retain  time.Duration
	mu      sync.Mutex // one Sync at a time
}

// NewKeySync validates cfg and returns a KeySync for m's key set. Call
// Sync once at start-up (it publishes the first signer when the store is
// empty), then Run in a goroutine.
func NewKeySync(m *Manager, cfg KeySyncConfig) (*KeySync, error) {
	if m == nil || cfg.Store == nil {
		return nil, fmt.Errorf("%w: KeySync needs a Manager and a Store", ErrConfig)
	}
	if len(cfg.Signers) == 0 {
		return nil, fmt.Errorf("%w: KeySync needs at least one signer", ErrConfig)
	}
	if cfg.Overlap < 0 {
		return nil, fmt.Errorf("%w: negative Overlap", ErrConfig)
	}
	if cfg.Overlap == 0 {
		cfg.Overlap = 2 * m.cfg.JWKSMaxAge
	}
	if cfg.Overlap <= m.cfg.JWKSMaxAge {
		// A verifier may hold a JWKS fetched just before the key entered
		// it for JWKSMaxAge: the key would sign before that verifier knows it.
		return nil, fmt.Errorf("%w: Overlap %v must exceed JWKSMaxAge %v", ErrConfig, cfg.Overlap, m.cfg.JWKSMaxAge)
	}
	s := &KeySync{m: m, cfg: cfg, signers: make(map[string]*Key, len(cfg.Signers)), retain: m.longestToken() + m.cfg.Leeway}
	for _, k := range cfg.Signers {
		if k == nil || !k.CanSign() {
			return nil, fmt.Errorf("%w: %w", ErrConfig, errNoSigningKey)
		}
		s.signers[k.kid] = k
	}
	return s, nil
}

// Schedule publishes next now and makes it the signing key from signFrom,
// which must be at least Overlap away. Scheduling a kid already stored is
// not an error (another instance did it). next needs no private key: the
// instances that sign must hold its signer.
func (s *KeySync) Schedule(ctx context.Context, next *Key, signFrom time.Time) error {
	if next == nil {
		return fmt.Errorf("%w: nil key", ErrKeyInvalid)
	}
	now := s.m.now()
	if signFrom.Before(now.Add(s.cfg.Overlap)) {
		return fmt.Errorf("%w: signing from %v is less than %v after publication", ErrKeySchedule, signFrom, s.cfg.Overlap)
	}
	jwk, err := json.Marshal(next.PublicJWK())
	if err != nil {
		return err
	}
	err = s.cfg.Store.PublishKey(ctx, PublishedKey{KID: next.kid, JWK: jwk, PublishAt: now, SignFrom: signFrom})
	if err != nil && !errors.Is(err, ErrDuplicate) {
		return fmt.Errorf("session: key store: %w", err)
	}
	return s.Sync(ctx)
}

// Run calls Sync every interval until ctx ends, and returns ctx's error.
// A scheduled key reaches this instance's JWKS up to interval after it is
// published and verifiers cache that JWKS for JWKSMaxAge, so interval must
// be at most Overlap − JWKSMaxAge (ErrConfig otherwise); a minute is
// typical.
func (s *KeySync) Run(ctx context.Context, interval time.Duration) error {
	if interval <= 0 || interval > s.cfg.Overlap-s.m.cfg.JWKSMaxAge {
		return fmt.Errorf("%w: interval must be positive and at most Overlap − JWKSMaxAge (%v)", ErrConfig, s.cfg.Overlap-s.m.cfg.JWKSMaxAge)
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
func (s *KeySync) Sync(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.m.now()
	recs, err := s.cfg.Store.PublishedKeys(ctx)
	if err != nil {
		return fmt.Errorf("session: key store: %w", err)
	}
	if len(recs) == 0 {
		first := s.cfg.Signers[0]
		jwk, err := json.Marshal(first.PublicJWK())
		if err != nil {
			return err
		}
		if err := s.cfg.Store.PublishKey(ctx, PublishedKey{KID: first.kid, JWK: jwk, PublishAt: now, SignFrom: now}); err != nil && !errors.Is(err, ErrDuplicate) {
			return fmt.Errorf("session: key store: %w", err)
		}
		if recs, err = s.cfg.Store.PublishedKeys(ctx); err != nil {
			return fmt.Errorf("session: key store: %w", err)
		}
	}
	type entry struct {
		PublishedKey
		key *Key
	}
	entries := make([]entry, 0, len(recs))
	for _, r := range recs {
		k, err := parseJWK(r.JWK)
		if err != nil {
			return fmt.Errorf("%w: key %q: %w", ErrKeySchedule, r.KID, err)
		}
		if k.kid != r.KID || k.CanSign() {
			return fmt.Errorf("%w: key %q: kid mismatch or private members", ErrKeySchedule, r.KID)
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
		return fmt.Errorf("%w: no stored key signs yet", ErrKeySchedule)
	}
	active, ok := s.signers[entries[cur].KID]
	if !ok {
		return fmt.Errorf("%w: this instance holds no signer for key %q", errNoSigningKey, entries[cur].KID)
	}
	var (
		next     *Key
		nextFrom time.Time
		pub      []publishedKey
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
		until := time.Time{}
		if i < cur {
			// Replaced when the following key started signing.
			until = entries[i+1].SignFrom.Add(s.retain)
			if now.After(until) {
				if err := s.cfg.Store.DeleteKey(ctx, e.KID); err != nil {
					return fmt.Errorf("session: key store: %w", err)
				}
				continue
			}
		}
		if e.PublishAt.After(now) {
			continue // published at its time by a later Sync
		}
		pub = append(pub, publishedKey{key: e.key, until: until})
	}
	s.m.cfg.Keys.install(active, next, nextFrom, pub)
	return nil
}

// longestToken is the longest lifetime of any token the manager mints.
func (m *Manager) longestToken() time.Duration {
	return max(m.cfg.TTL, m.cfg.MFAPendingTTL, m.cfg.ElevatedSingleUseTTL, m.cfg.ElevatedMultiUseTTL)
}

// MemoryKeyStore is an in-memory KeyStore, safe for concurrent use: for
// tests and for several KeySyncs in one process.
type MemoryKeyStore struct {
	mu   sync.Mutex
	keys map[string]PublishedKey
}

// NewMemoryKeyStore returns an empty MemoryKeyStore.
func NewMemoryKeyStore() *MemoryKeyStore {
	return &MemoryKeyStore{keys: make(map[string]PublishedKey)}
}

var _ KeyStore = (*MemoryKeyStore)(nil)

// PublishKey implements KeyStore.
func (s *MemoryKeyStore) PublishKey(ctx context.Context, k PublishedKey) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if k.KID == "" || len(k.JWK) == 0 {
		return fmt.Errorf("%w: key without kid or JWK", ErrKeySchedule)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.keys[k.KID]; ok {
		return ErrDuplicate
	}
	k.JWK = slices.Clone(k.JWK)
	s.keys[k.KID] = k
	return nil
}

// PublishedKeys implements KeyStore.
func (s *MemoryKeyStore) PublishedKeys(ctx context.Context) ([]PublishedKey, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]PublishedKey, 0, len(s.keys))
	for _, k := range s.keys {
		k.JWK = slices.Clone(k.JWK)
		out = append(out, k)
	}
	return out, nil
}

// DeleteKey implements KeyStore.
func (s *MemoryKeyStore) DeleteKey(ctx context.Context, kid string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.keys, kid)
	return nil
}
