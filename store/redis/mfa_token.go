package redis

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/authkit/authkit/mfa"
)

// An MFA token is one hash "{prefix:mtok:<hex digest>}" living until its
// ExpiresAt.

func (m *MFAStore) tokenKey(digest []byte) string { return m.s.key("mtok", hex.EncodeToString(digest)) }

// tFields are a token hash's fields, in the order UseToken reads them.
var tFields = fields{"uid", "dig", "sid", "single", "cat", "exp"}

// CreateToken implements mfa.TokenStore.
func (m *MFAStore) CreateToken(ctx context.Context, t mfa.TokenRecord) error {
	args := []any{ttlMS(t.CreatedAt, t.ExpiresAt),
		"dig", t.Digest, "uid", t.UserID, "sid", t.SessionID, "single", boolStr(t.SingleUse),
		"cat", encTime(t.CreatedAt), "exp", encTime(t.ExpiresAt)}
	k := m.tokenKey(t.Digest)
	created, err := run(m.s, ctx, "mfa create token", func(ctx context.Context) (any, error) {
		return m.s.script(ctx, createScript, k, args...)
	})
	if err != nil {
		return err
	}
	if created != int64(1) {
		return mfa.ErrDuplicate
	}
	return nil
}

// useTokenScript: KEYS[1] token; ARGV: user, session, now. Returns {0, hash}
// when the token may be used (deleting a single-use one), {1} otherwise.
// The digest is the key: nothing secret is compared in the script.
var useTokenScript = goredis.NewScript(tFields.lua() + `
local r = redis.call('HMGET', KEYS[1], 'uid', 'sid', 'single', 'exp')
if not r[1] or r[1] ~= ARGV[1] then return {1} end
if r[2] ~= '' and r[2] ~= ARGV[2] then return {1} end
if tonumber(ARGV[3]) >= tonumber(r[4]) then return {1} end
local all = redis.call('HMGET', KEYS[1], unpack(F))
if r[3] == '1' then redis.call('DEL', KEYS[1]) end
return {0, all}
`)

// UseToken implements mfa.TokenStore.
func (m *MFAStore) UseToken(ctx context.Context, digest []byte, userID, sessionID string, now time.Time) (mfa.TokenRecord, error) {
	k := m.tokenKey(digest)
	reply, err := run(m.s, ctx, "mfa use token", func(ctx context.Context) (any, error) {
		return m.s.script(ctx, useTokenScript, k, userID, sessionID, us(now))
	})
	if err != nil {
		return mfa.TokenRecord{}, err
	}
	st, payload, err := statusOf(reply)
	if err != nil {
		return mfa.TokenRecord{}, errCorrupt("reply", err)
	}
	if st == 1 {
		return mfa.TokenRecord{}, mfa.ErrNotFound
	}
	v, found, err := tFields.values(payload)
	if st != 0 || err != nil || !found {
		return mfa.TokenRecord{}, errCorrupt("reply", fmt.Errorf("status %d: %v", st, err))
	}
	t := mfa.TokenRecord{UserID: v[0], Digest: []byte(v[1]), SessionID: v[2], SingleUse: v[3] == "1"}
	if t.CreatedAt, err = decTime(v[4]); err != nil {
		return mfa.TokenRecord{}, errCorrupt("token", err)
	}
	if t.ExpiresAt, err = decTime(v[5]); err != nil {
		return mfa.TokenRecord{}, errCorrupt("token", err)
	}
	return t, nil
}
