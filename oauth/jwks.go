package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// keySet is the issuer's JWKS, cached. It refetches when a token names a
// kid it does not hold (key rotation, OIDC Core §10.1.1), but at most once
// per minRefetch: otherwise anyone could make us fetch the JWKS on every
// request by sending tokens with made-up kids. Keys older than maxAge are
// refreshed so a key the issuer withdrew stops being accepted.
//
// It implements go-oidc's KeySet; go-oidc does the claim checks.
type keySet struct {
	url        string
	algs       []jose.SignatureAlgorithm
	hmacSecret []byte // HS256 ID tokens keyed by the client secret (LINE)
	now        func() time.Time
	minRefetch time.Duration
	maxAge     time.Duration

	mu        sync.Mutex
	keys      []jose.JSONWebKey
	fetchedAt time.Time // last successful fetch
	triedAt   time.Time // last attempt, successful or not
}

// verifyCtxKey carries the per-call HTTP client and a slot for a fetch
// error through go-oidc, which flattens the KeySet's error into text.
type verifyCtxKey struct{}

type verifyCtx struct {
	client   *http.Client
	fetchErr error
}

// VerifySignature implements oidc.KeySet.
func (k *keySet) VerifySignature(ctx context.Context, raw string) ([]byte, error) {
	jws, err := jose.ParseSignedCompact(raw, k.algs)
	if err != nil {
		return nil, err
	}
	if len(jws.Signatures) != 1 {
		return nil, errors.New("want exactly one signature")
	}
	hdr := jws.Signatures[0].Header
	if strings.HasPrefix(hdr.Algorithm, "HS") {
		if len(k.hmacSecret) == 0 {
			return nil, errors.New("symmetric signature not accepted for this provider")
		}
		return jws.Verify(k.hmacSecret)
	}
	vc, _ := ctx.Value(verifyCtxKey{}).(*verifyCtx)

	keys, err := k.cached(ctx, vc, false)
	if err != nil {
		return nil, err
	}
	payload, known, err := verifyWith(jws, keys, hdr.KeyID)
	if known {
		return payload, err
	}
	// Unknown kid: the issuer may have rotated. Refetch, rate-limited.
	keys, err = k.cached(ctx, vc, true)
	if err != nil {
		return nil, err
	}
	payload, known, err = verifyWith(jws, keys, hdr.KeyID)
	if !known {
		return nil, fmt.Errorf("no key with kid %q", hdr.KeyID)
	}
	return payload, err
}

// verifyWith tries the keys matching kid (all keys when the token names
// none). known reports whether any key matched.
func verifyWith(jws *jose.JSONWebSignature, keys []jose.JSONWebKey, kid string) (payload []byte, known bool, err error) {
	err = errors.New("signature does not verify")
	for i := range keys {
		key := &keys[i]
		if kid != "" && key.KeyID != kid {
			continue
		}
		if key.Use != "" && key.Use != "sig" {
			continue
		}
		known = true
		if p, verr := jws.Verify(key); verr == nil {
			return p, true, nil
		}
	}
	return nil, known, err
}

// cached returns the keys, fetching them when none are held or they are
// older than maxAge, or when refetch asks for new ones and the last
// attempt is at least minRefetch old.
func (k *keySet) cached(ctx context.Context, vc *verifyCtx, refetch bool) ([]jose.JSONWebKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	stale := k.fetchedAt.IsZero() || now.Sub(k.fetchedAt) >= k.maxAge
	allowed := k.triedAt.IsZero() || now.Sub(k.triedAt) >= k.minRefetch
	if !(stale || refetch) || !allowed {
		if k.keys == nil {
			return nil, errors.New("no keys: fetching rate-limited after a failure")
		}
		return k.keys, nil
	}
	k.triedAt = now
	keys, err := fetchJWKS(ctx, vc, k.url)
	if err != nil {
		if vc != nil {
			vc.fetchErr = err
		}
		return nil, err
	}
	k.keys, k.fetchedAt = keys, now
	return keys, nil
}

// maxJWKSBytes bounds a JWKS response.
const maxJWKSBytes = 1 << 20

func fetchJWKS(ctx context.Context, vc *verifyCtx, url string) ([]jose.JSONWebKey, error) {
	if vc == nil || vc.client == nil {
		return nil, errors.New("jwks: no HTTP client")
	}
	client := vc.client
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes))
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("jwks: status %d", resp.StatusCode)
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	// Skip keys of types we cannot use rather than failing the whole set.
	var keys []jose.JSONWebKey
	for _, raw := range set.Keys {
		var key jose.JSONWebKey
		if json.Unmarshal(raw, &key) == nil && key.Valid() && key.IsPublic() {
			keys = append(keys, key)
		}
	}
	return keys, nil
}
