// Package keyedhash computes HMAC-SHA256 digests of secrets (one-time codes,
// recovery codes, opaque tokens) under a list of server keys, newest first, so
// that the key can be rotated: new digests use the newest key and any listed
// key verifies. Digests are bound to a context string (a record id) so that a
// digest copied onto another record does not verify there.
package keyedhash

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"hash"
	"sync"
)

// MinKeyLen is the shortest accepted key, in bytes.
const MinKeyLen = 32

// Size is the length of a digest in bytes.
const Size = sha256.Size

// ErrNoKey is returned when no key is configured.
var ErrNoKey = errors.New("keyedhash: at least one key is required")

// ErrShortKey is returned when a key is shorter than MinKeyLen bytes.
var ErrShortKey = errors.New("keyedhash: key shorter than 32 bytes")

// Hasher holds the keys. It is safe for concurrent use.
type Hasher struct {
	pools []*sync.Pool // one pool of keyed HMAC states per key, newest first
}

// New returns a Hasher for keys, newest first. Keys are copied.
func New(keys [][]byte) (*Hasher, error) {
	if len(keys) == 0 {
		return nil, ErrNoKey
	}
	h := &Hasher{}
	for _, k := range keys {
		if len(k) < MinKeyLen {
			return nil, ErrShortKey
		}
		key := append([]byte(nil), k...)
		// Reusing a keyed HMAC with Reset costs ~0.17 µs against ~0.8 µs
		// for hmac.New per call (research/baselines.md).
		h.pools = append(h.pools, &sync.Pool{New: func() any { return hmac.New(sha256.New, key) }})
	}
	return h, nil
}

func sum(p *sync.Pool, context, secret string, dst []byte) []byte {
	m := p.Get().(hash.Hash)
	m.Reset()
	// Length-prefix the context so ("ab","c") and ("a","bc") differ.
	var l [4]byte
	n := len(context)
	l[0], l[1], l[2], l[3] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	m.Write(l[:])
	m.Write([]byte(context))
	m.Write([]byte(secret))
	out := m.Sum(dst)
	p.Put(m)
	return out
}

// Sum returns the digest of secret bound to context under the newest key.
func (h *Hasher) Sum(context, secret string) []byte {
	return sum(h.pools[0], context, secret, make([]byte, 0, Size))
}

// Verify reports whether digest is the digest of secret bound to context
// under any configured key. Each comparison is constant-time.
func (h *Hasher) Verify(context, secret string, digest []byte) bool {
	var buf [Size]byte
	ok := false
	for _, p := range h.pools {
		if hmac.Equal(sum(p, context, secret, buf[:0]), digest) {
			ok = true
		}
	}
	return ok
}
