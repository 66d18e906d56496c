package session

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// KeySet holds one active signing key and any number of verification-only
// keys, each published until a given time. Verification looks a kid up in
// a map and nothing else: no key is ever fetched or built from a token
// header. Safe for concurrent use; readers never block.
type KeySet struct {
	mu   sync.Mutex // serialises writers
	snap atomic.Pointer[keySnapshot]
}

// keySnapshot is immutable once published.
type keySnapshot struct {
	active *Key
	byKID  map[string]publishedKey
	order  []string // kids, active first, then in insertion order
	// next replaces active as the signing key from nextFrom (Install's
	// schedule); it is published already.
	next     *Key
	nextFrom time.Time
}

type publishedKey struct {
	key   *Key
	until time.Time // zero: no end
}

// NewKeySet returns a key set signing with active (which must hold a
// private key) and also accepting verify, published with no end date.
func NewKeySet(active *Key, verify ...*Key) (*KeySet, error) {
	snap, err := newSnapshot(active, nil, time.Time{}, verify, make([]time.Time, len(verify)))
	if err != nil {
		return nil, err
	}
	s := &KeySet{}
	s.snap.Store(snap)
	return s, nil
}

// load returns the current snapshot; a zero KeySet behaves as empty.
func (s *KeySet) load() *keySnapshot {
	if snap := s.snap.Load(); snap != nil {
		return snap
	}
	return &keySnapshot{}
}

// Active returns the signing key (nil for a zero KeySet). With an
// installed schedule, the key that signs at a given time is the scheduled
// next one once its time has come; Manager uses that.
func (s *KeySet) Active() *Key { return s.load().active }

// activeAt returns the key that signs at now: the scheduled next key from
// its switch time on, the active key before.
func (s *KeySet) activeAt(now time.Time) *Key {
	snap := s.load()
	if snap.next != nil && !now.Before(snap.nextFrom) {
		return snap.next
	}
	return snap.active
}

// Install replaces the whole set at once, as a key schedule shared
// between instances (package keysync) requires: active signs now, next
// (nil: none scheduled) signs from nextFrom, and published[i] verifies
// until until[i] (zero: no end). Readers see the old set or the new one,
// never a mix. Active must hold a private key, and the two slices must
// have the same length.
func (s *KeySet) Install(active, next *Key, nextFrom time.Time, published []*Key, until []time.Time) error {
	n, err := newSnapshot(active, next, nextFrom, published, until)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.snap.Store(n)
	return nil
}

// newSnapshot builds a whole key set: active signs now, next (nil: none
// scheduled) signs from nextFrom, and published[i] verifies until
// until[i] (zero: no end), a kid already in the set skipped.
func newSnapshot(active, next *Key, nextFrom time.Time, published []*Key, until []time.Time) (*keySnapshot, error) {
	if active == nil || !active.CanSign() {
		return nil, errNoSigningKey
	}
	if len(published) != len(until) {
		return nil, fmt.Errorf("%w: %d published keys, %d end times", errKeyInvalid, len(published), len(until))
	}
	n := &keySnapshot{active: active, byKID: make(map[string]publishedKey, len(published)+2), order: []string{active.kid}}
	n.byKID[active.kid] = publishedKey{key: active}
	if next != nil && next.kid != active.kid {
		n.next, n.nextFrom = next, nextFrom
		n.byKID[next.kid] = publishedKey{key: next}
		n.order = append(n.order, next.kid)
	}
	for i, k := range published {
		if k == nil {
			return nil, fmt.Errorf("%w: nil key", errKeyInvalid)
		}
		if _, dup := n.byKID[k.kid]; dup {
			continue
		}
		n.byKID[k.kid] = publishedKey{key: k.PublicOnly(), until: until[i]}
		n.order = append(n.order, k.kid)
	}
	return n, nil
}

// Lookup returns the key with the given kid if it is published at now.
func (s *KeySet) Lookup(kid string, now time.Time) (*Key, bool) {
	p, ok := s.load().byKID[kid]
	if !ok || (!p.until.IsZero() && now.After(p.until)) {
		return nil, false
	}
	return p.key, true
}

// Keys returns the keys published at now, the active one first.
func (s *KeySet) Keys(now time.Time) []*Key {
	snap := s.load()
	out := make([]*Key, 0, len(snap.order))
	for _, kid := range snap.order {
		p := snap.byKID[kid]
		if p.until.IsZero() || !now.After(p.until) {
			out = append(out, p.key)
		}
	}
	return out
}

// Add publishes k for verification only until the given time (zero: until
// removed). Publish the next signing key this way at least one JWKS cache
// lifetime before Rotate makes it active, so that verifiers holding a
// cached JWKS already know it.
func (s *KeySet) Add(k *Key, until time.Time) error {
	if k == nil {
		return fmt.Errorf("%w: nil key", errKeyInvalid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.snap.Load()
	if old == nil {
		return errNoSigningKey
	}
	if old.active.kid == k.kid {
		return nil
	}
	n := old.clone()
	if _, ok := n.byKID[k.kid]; !ok {
		n.order = append(n.order, k.kid)
	}
	n.byKID[k.kid] = publishedKey{key: k.PublicOnly(), until: until}
	s.snap.Store(n)
	return nil
}

// Rotate makes next the signing key. The previous signing key stays
// published for verification until retireAt, which should be no earlier
// than the expiry of the longest-lived token it signed (Manager.Rotate
// computes it). Keys past their date stop verifying at once and are freed
// by Prune.
func (s *KeySet) rotate(next *Key, retireAt time.Time) error {
	if next == nil || !next.CanSign() {
		return errNoSigningKey
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.snap.Load()
	if old == nil {
		n, err := newSnapshot(next, nil, time.Time{}, nil, nil)
		if err != nil {
			return err
		}
		s.snap.Store(n)
		return nil
	}
	if old.active.kid == next.kid {
		return nil
	}
	n := old.clone()
	n.byKID[old.active.kid] = publishedKey{key: old.active.PublicOnly(), until: retireAt}
	n.active = next
	n.next, n.nextFrom = nil, time.Time{} // a manual rotation overrides a schedule
	n.byKID[next.kid] = publishedKey{key: next}
	order := []string{next.kid}
	for _, kid := range n.order {
		if kid != next.kid {
			order = append(order, kid)
		}
	}
	n.order = order
	s.snap.Store(n)
	return nil
}

// Remove stops publishing the verification key kid at once; tokens it
// signed fail with errUnknownKey from then on. The active key cannot be
// removed.
func (s *KeySet) Remove(kid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.snap.Load()
	if old == nil || old.active.kid == kid {
		return
	}
	if _, ok := old.byKID[kid]; !ok {
		return
	}
	n := old.clone()
	delete(n.byKID, kid)
	n.order = n.order[:0:0]
	for _, k := range old.order {
		if k != kid {
			n.order = append(n.order, k)
		}
	}
	s.snap.Store(n)
}

// Prune frees the verification keys whose publication ended before now.
// They already fail lookups and are absent from the JWKS; this only
// releases them.
func (s *KeySet) Prune(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.snap.Load()
	if old == nil {
		return
	}
	n := old.clone()
	n.order = n.order[:0]
	for _, kid := range old.order {
		p := old.byKID[kid]
		if kid != old.active.kid && !p.until.IsZero() && now.After(p.until) {
			delete(n.byKID, kid)
			continue
		}
		n.order = append(n.order, kid)
	}
	s.snap.Store(n)
}

func (k *keySnapshot) clone() *keySnapshot {
	n := &keySnapshot{active: k.active, byKID: make(map[string]publishedKey, len(k.byKID)+1), order: append([]string(nil), k.order...), next: k.next, nextFrom: k.nextFrom}
	for kid, p := range k.byKID {
		n.byKID[kid] = p
	}
	return n
}

// jwkSet is the JSON body of a JWKS endpoint (RFC 7517 §5).
type jwkSet struct {
	Keys []jsonWebKey `json:"keys"`
}

// JWKS returns the JSON key set of the keys published at now: public
// members only, each with kty, kid, alg and use "sig".
func (s *KeySet) JWKS(now time.Time) ([]byte, error) {
	keys := s.Keys(now)
	set := jwkSet{Keys: make([]jsonWebKey, len(keys))}
	for i, k := range keys {
		set.Keys[i] = k.publishedJWK()
	}
	return json.Marshal(set)
}

// jwksHandler serves a KeySet's JWKS with Cache-Control and an ETag.
type jwksHandler struct {
	keys   *KeySet
	now    func() time.Time
	maxAge time.Duration
}

// newJWKSHandler returns an http.Handler serving the key set's JWKS to GET
// and HEAD, with "Cache-Control: public, max-age=…" and a strong ETag (a
// hash of the body); a matching If-None-Match gets 304 Not Modified.
func newJWKSHandler(keys *KeySet, now func() time.Time, maxAge time.Duration) http.Handler {
	return &jwksHandler{keys: keys, now: now, maxAge: maxAge}
}

// ServeHTTP implements http.Handler.
func (h *jwksHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := h.keys.JWKS(h.now())
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	sum := sha256.Sum256(body)
	etag := `"` + b64.EncodeToString(sum[:18]) + `"`
	hd := w.Header()
	hd.Set("Cache-Control", "public, max-age="+strconv.Itoa(int(h.maxAge/time.Second)))
	hd.Set("ETag", etag)
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hd.Set("Content-Type", "application/json")
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}

// etagMatches implements If-None-Match's weak comparison (RFC 9110 §13.1.2).
func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}
