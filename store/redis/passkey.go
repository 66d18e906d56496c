package redis

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/authkit/authkit/passkey"
)

// PasskeyStore implements passkey.Store.
//
// A challenge is one hash "{prefix:pk:c.<b64 digest>}" living until its
// ExpiresAt. All passkeys of a user live in one hash,
// "{prefix:pk:<user>}:creds", with fields "<record>:<attribute>", "!c:<b64
// credential id>" (credential id to record id) and "!n" (the count), so
// that the maximum, keep-last, the counter check, rename and delete are
// each one script on one key. A credential id is unique across users
// through an index key "{prefix:pk:i.<b64 credential id>}" holding the
// owner, claimed with SET NX before the user's hash is written and
// released if that write is refused. A process dying between the two
// leaves an index entry naming no passkey: lookups then answer not found,
// and it blocks only that credential id, which authenticators never
// reuse for a new registration.
type PasskeyStore struct{ s *Store }

var _ passkey.Store = (*PasskeyStore)(nil)

// Passkeys returns the passkey.Store.
func (s *Store) Passkeys() *PasskeyStore { return &PasskeyStore{s: s} }

var b64url = base64.RawURLEncoding

func (p *PasskeyStore) challengeKey(digest []byte) string {
	return p.s.key("pk", "c."+b64url.EncodeToString(digest))
}

func (p *PasskeyStore) indexKey(credentialID []byte) string {
	return p.s.key("pk", "i."+b64url.EncodeToString(credentialID))
}

func (p *PasskeyStore) userKey(userID string) string { return p.s.userKey("pk", userID, "creds") }

func credField(credentialID []byte) string { return "!c:" + b64url.EncodeToString(credentialID) }

// chFields are a challenge hash's fields, in the order they are read.
var chFields = fields{"cer", "uid", "sid", "rp", "uv", "cat", "exp", "dig"}

// CreateChallenge implements passkey.ChallengeStore.
func (p *PasskeyStore) CreateChallenge(ctx context.Context, c passkey.ChallengeRecord) error {
	if len(c.Digest) == 0 {
		return fmt.Errorf("%w: empty challenge digest", ErrInvalidArgument)
	}
	args := []any{ttlMS(c.CreatedAt, c.ExpiresAt),
		"cer", string(c.Ceremony), "uid", c.UserID, "sid", c.SessionID, "rp", c.RPID, "uv", c.UserVerification,
		"cat", encTime(c.CreatedAt), "exp", encTime(c.ExpiresAt), "dig", c.Digest}
	k := p.challengeKey(c.Digest)
	created, err := run(p.s, ctx, "passkey create challenge", func(ctx context.Context) (any, error) {
		return p.s.script(ctx, createScript, k, args...)
	})
	if err != nil {
		return err
	}
	if created != int64(1) {
		return passkey.ErrDuplicate
	}
	return nil
}

// consumeChallengeScript: KEYS[1] challenge; ARGV: ceremony, user,
// session, now. Returns {0} missing or expired, {2} bound differently,
// {1, fields} consumed (deleted).
var consumeChallengeScript = goredis.NewScript(chFields.lua() + `
local v = redis.call('HMGET', KEYS[1], unpack(F))
if not v[1] or tonumber(v[7]) <= tonumber(ARGV[4]) then return {0} end
if v[1] ~= ARGV[1] or v[2] ~= ARGV[2] or v[3] ~= ARGV[3] then return {2} end
redis.call('DEL', KEYS[1])
return {1, v}
`)

// ConsumeChallenge implements passkey.ChallengeStore.
func (p *PasskeyStore) ConsumeChallenge(ctx context.Context, digest []byte, ceremony passkey.Ceremony, userID, sessionID string, now time.Time) (passkey.ChallengeRecord, error) {
	k := p.challengeKey(digest)
	reply, err := run(p.s, ctx, "passkey consume challenge", func(ctx context.Context) (any, error) {
		return p.s.script(ctx, consumeChallengeScript, k, string(ceremony), userID, sessionID, us(now))
	})
	if err != nil {
		return passkey.ChallengeRecord{}, err
	}
	st, payload, err := statusOf(reply)
	if err != nil {
		return passkey.ChallengeRecord{}, errCorrupt("reply", err)
	}
	switch st {
	case 0:
		return passkey.ChallengeRecord{}, passkey.ErrNotFound
	case 2:
		return passkey.ChallengeRecord{}, passkey.ErrCeremonyMismatch
	}
	v, found, err := chFields.values(payload)
	if st != 1 || err != nil || !found {
		return passkey.ChallengeRecord{}, errCorrupt("reply", fmt.Errorf("status %d: %v", st, err))
	}
	c := passkey.ChallengeRecord{
		Ceremony: passkey.Ceremony(v[0]), UserID: v[1], SessionID: v[2], RPID: v[3], UserVerification: v[4],
		Digest: []byte(v[7]),
	}
	if c.CreatedAt, err = decTime(v[5]); err != nil {
		return passkey.ChallengeRecord{}, errCorrupt("challenge", err)
	}
	if c.ExpiresAt, err = decTime(v[6]); err != nil {
		return passkey.ChallengeRecord{}, errCorrupt("challenge", err)
	}
	return c, nil
}

// credAttrs are the per-record fields ("<record>:<attr>"), in the order
// the scripts return them.
var credAttrs = [...]string{"id", "cid", "pub", "att", "fmt", "aag", "tr", "sc", "uv", "be", "bs", "al", "or", "cat", "uat", "lat", "cf"}

// luaCred returns a record's attributes (credAttrs order).
const luaCred = `
local function cred(k, r)
  return redis.call('HMGET', k, r..':id', r..':cid', r..':pub', r..':att', r..':fmt', r..':aag', r..':tr', r..':sc',
    r..':uv', r..':be', r..':bs', r..':al', r..':or', r..':cat', r..':uat', r..':lat', r..':cf')
end
`

// createCredScript: KEYS[1] user hash; ARGV: record, max, credential
// field, field/value pairs. Returns 0 created, 1 duplicate, 2 at the max.
var createCredScript = goredis.NewScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]..':id') == 1 then return 1 end
if redis.call('HEXISTS', KEYS[1], ARGV[3]) == 1 then return 1 end
local n = tonumber(redis.call('HGET', KEYS[1], '!n') or '0')
if n >= tonumber(ARGV[2]) then return 2 end
redis.call('HSET', KEYS[1], ARGV[3], ARGV[1], unpack(ARGV, 4))
redis.call('HINCRBY', KEYS[1], '!n', 1)
return 0
`)

// releaseIndexScript: KEYS[1] index; ARGV[1] owner. Deletes the index
// entry only if it still names that owner.
var releaseIndexScript = goredis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// CreateCredential implements passkey.CredentialStore.
func (p *PasskeyStore) CreateCredential(ctx context.Context, c passkey.CredentialRecord, max int) error {
	if c.ID == "" || c.UserID == "" || len(c.CredentialID) == 0 {
		return fmt.Errorf("%w: empty passkey, user or credential id", ErrInvalidArgument)
	}
	r := enc(c.ID)
	cf := credField(c.CredentialID)
	args := []any{r, max, cf}
	vals := []any{c.ID, c.CredentialID, c.PublicKey, c.AttestationType, c.AttestationFormat, c.AAGUID,
		strings.Join(c.Transports, ","), strconv.FormatUint(uint64(c.SignCount), 10), boolStr(c.UserVerified),
		boolStr(c.BackupEligible), boolStr(c.BackupState), c.Alias, c.Origin, encTime(c.CreatedAt),
		encTime(c.UpdatedAt), encTime(c.LastUsedAt), cf}
	for i, a := range credAttrs {
		args = append(args, r+":"+a, vals[i])
	}
	ik, uk := p.indexKey(c.CredentialID), p.userKey(c.UserID)
	claimed, err := run(p.s, ctx, "passkey create credential", func(ctx context.Context) (bool, error) {
		return p.s.c.SetNX(ctx, ik, c.UserID, 0).Result()
	})
	if err != nil {
		return err
	}
	if !claimed {
		return passkey.ErrDuplicate
	}
	st, err := run(p.s, ctx, "passkey create credential", func(ctx context.Context) (any, error) {
		return p.s.script(ctx, createCredScript, uk, args...)
	})
	if err == nil && st == int64(0) {
		return nil
	}
	// Refused or failed: give the credential id back (best effort; see
	// the type's comment for what a leftover entry means).
	_, _ = run(p.s, context.WithoutCancel(ctx), "passkey create credential", func(ctx context.Context) (any, error) {
		return p.s.script(ctx, releaseIndexScript, ik, c.UserID)
	})
	switch {
	case err != nil:
		return err
	case st == int64(1):
		return passkey.ErrDuplicate
	case st == int64(2):
		return passkey.ErrTooManyPasskeys
	}
	return errCorrupt("reply", fmt.Errorf("status %v", st))
}

// credentialOf decodes a record from its attribute values (credAttrs order).
func credentialOf(userID string, v any) (passkey.CredentialRecord, error) {
	arr, ok := v.([]any)
	if !ok || len(arr) != len(credAttrs) {
		return passkey.CredentialRecord{}, errCorrupt("passkey reply", fmt.Errorf("%T of %d", v, len(arr)))
	}
	if arr[0] == nil || arr[0] == false {
		return passkey.CredentialRecord{}, passkey.ErrNotFound
	}
	s := make([]string, len(arr))
	for i, x := range arr {
		if x == nil {
			continue
		}
		str, ok := x.(string)
		if !ok {
			return passkey.CredentialRecord{}, errCorrupt("passkey", fmt.Errorf("value is %T", x))
		}
		s[i] = str
	}
	return credentialFrom(userID, s)
}

func credentialFrom(userID string, s []string) (passkey.CredentialRecord, error) {
	c := passkey.CredentialRecord{
		ID: s[0], UserID: userID, CredentialID: []byte(s[1]), PublicKey: []byte(s[2]), AttestationType: s[3],
		AttestationFormat: s[4], AAGUID: []byte(s[5]), UserVerified: s[8] == "1", BackupEligible: s[9] == "1",
		BackupState: s[10] == "1", Alias: s[11], Origin: s[12],
	}
	if s[6] != "" {
		c.Transports = strings.Split(s[6], ",")
	}
	n, err := strconv.ParseUint(s[7], 10, 32)
	if err != nil {
		return c, errCorrupt("passkey", err)
	}
	c.SignCount = uint32(n)
	for i, t := range []*time.Time{&c.CreatedAt, &c.UpdatedAt, &c.LastUsedAt} {
		if *t, err = decTime(s[13+i]); err != nil {
			return c, errCorrupt("passkey", err)
		}
	}
	return c, nil
}

// getCredScript: KEYS[1] user hash; ARGV[1] credential field. Returns
// the record's attributes, or an empty array.
var getCredScript = goredis.NewScript(luaCred + `
local r = redis.call('HGET', KEYS[1], ARGV[1])
if not r then return {} end
return cred(KEYS[1], r)
`)

// GetCredential implements passkey.CredentialStore: the index names the
// owner, whose hash holds the record.
func (p *PasskeyStore) GetCredential(ctx context.Context, credentialID []byte) (passkey.CredentialRecord, error) {
	ik := p.indexKey(credentialID)
	owner, err := run(p.s, ctx, "passkey get credential", func(ctx context.Context) (string, error) {
		v, err := p.s.c.Get(ctx, ik).Result()
		if errors.Is(err, goredis.Nil) {
			return "", nil
		}
		return v, err
	})
	if err != nil {
		return passkey.CredentialRecord{}, err
	}
	if owner == "" {
		return passkey.CredentialRecord{}, passkey.ErrNotFound
	}
	uk := p.userKey(owner)
	reply, err := run(p.s, ctx, "passkey get credential", func(ctx context.Context) (any, error) {
		return p.s.script(ctx, getCredScript, uk, credField(credentialID))
	})
	if err != nil {
		return passkey.CredentialRecord{}, err
	}
	if arr, ok := reply.([]any); ok && len(arr) == 0 {
		return passkey.CredentialRecord{}, passkey.ErrNotFound // a leftover index entry
	}
	return credentialOf(owner, reply)
}

// ListCredentials implements passkey.CredentialStore.
func (p *PasskeyStore) ListCredentials(ctx context.Context, userID string) ([]passkey.CredentialRecord, error) {
	uk := p.userKey(userID)
	all, err := run(p.s, ctx, "passkey list credentials", func(ctx context.Context) (map[string]string, error) {
		return p.s.c.HGetAll(ctx, uk).Result()
	})
	if err != nil {
		return nil, err
	}
	list := []passkey.CredentialRecord{}
	for f := range all {
		r, ok := strings.CutSuffix(f, ":id")
		if !ok || strings.HasPrefix(f, "!") {
			continue
		}
		s := make([]string, len(credAttrs))
		for i, a := range credAttrs {
			s[i] = all[r+":"+a]
		}
		c, err := credentialFrom(userID, s)
		if err != nil {
			return nil, err
		}
		list = append(list, c)
	}
	passkey.SortCredentials(list)
	return list, nil
}

// useCredScript: KEYS[1] user hash; ARGV: credential field, counter,
// backup state, now. Returns {0} not found, {2} counter not advancing,
// {1, attributes} updated.
var useCredScript = goredis.NewScript(luaCred + `
local r = redis.call('HGET', KEYS[1], ARGV[1])
if not r then return {0} end
local cur, new = tonumber(redis.call('HGET', KEYS[1], r..':sc')), tonumber(ARGV[2])
if not (new > cur or (new == 0 and cur == 0)) then return {2} end
redis.call('HSET', KEYS[1], r..':sc', ARGV[2], r..':bs', ARGV[3], r..':lat', ARGV[4])
return {1, cred(KEYS[1], r)}
`)

// UseCredential implements passkey.CredentialStore.
func (p *PasskeyStore) UseCredential(ctx context.Context, userID string, credentialID []byte, signCount uint32, backupState bool, now time.Time) (passkey.CredentialRecord, error) {
	uk := p.userKey(userID)
	reply, err := run(p.s, ctx, "passkey use credential", func(ctx context.Context) (any, error) {
		return p.s.script(ctx, useCredScript, uk, credField(credentialID), strconv.FormatUint(uint64(signCount), 10), boolStr(backupState), encTime(now))
	})
	if err != nil {
		return passkey.CredentialRecord{}, err
	}
	return p.statusRecord(userID, reply, passkey.ErrSignCount)
}

// statusRecord decodes {0} (not found), {2} (refused with refusal) or {1,
// attributes}.
func (p *PasskeyStore) statusRecord(userID string, reply any, refusal error) (passkey.CredentialRecord, error) {
	st, payload, err := statusOf(reply)
	if err != nil {
		return passkey.CredentialRecord{}, errCorrupt("reply", err)
	}
	switch st {
	case 0:
		return passkey.CredentialRecord{}, passkey.ErrNotFound
	case 2:
		return passkey.CredentialRecord{}, refusal
	case 1:
		return credentialOf(userID, payload)
	}
	return passkey.CredentialRecord{}, errCorrupt("reply", fmt.Errorf("status %d", st))
}

// renameCredScript: KEYS[1] user hash; ARGV: record, alias, now.
var renameCredScript = goredis.NewScript(luaCred + `
if redis.call('HEXISTS', KEYS[1], ARGV[1]..':id') == 0 then return {0} end
redis.call('HSET', KEYS[1], ARGV[1]..':al', ARGV[2], ARGV[1]..':uat', ARGV[3])
return {1, cred(KEYS[1], ARGV[1])}
`)

// RenameCredential implements passkey.CredentialStore.
func (p *PasskeyStore) RenameCredential(ctx context.Context, userID, id, alias string, now time.Time) (passkey.CredentialRecord, error) {
	uk := p.userKey(userID)
	reply, err := run(p.s, ctx, "passkey rename credential", func(ctx context.Context) (any, error) {
		return p.s.script(ctx, renameCredScript, uk, enc(id), alias, encTime(now))
	})
	if err != nil {
		return passkey.CredentialRecord{}, err
	}
	return p.statusRecord(userID, reply, passkey.ErrNotFound)
}

// deleteCredScript: KEYS[1] user hash; ARGV: record, keepOne. Returns {0}
// not found, {2} the last one kept, {1, credential id} deleted.
var deleteCredScript = goredis.NewScript(`
local r = ARGV[1]
if redis.call('HEXISTS', KEYS[1], r..':id') == 0 then return {0} end
if ARGV[2] == '1' and tonumber(redis.call('HGET', KEYS[1], '!n') or '0') <= 1 then return {2} end
local v = redis.call('HMGET', KEYS[1], r..':cid', r..':cf')
redis.call('HDEL', KEYS[1], v[2], r..':id', r..':cid', r..':pub', r..':att', r..':fmt', r..':aag', r..':tr',
  r..':sc', r..':uv', r..':be', r..':bs', r..':al', r..':or', r..':cat', r..':uat', r..':lat', r..':cf')
if redis.call('HINCRBY', KEYS[1], '!n', -1) <= 0 then redis.call('DEL', KEYS[1]) end
return {1, v[1]}
`)

// DeleteCredential implements passkey.CredentialStore: the record goes in
// one script on the user's hash, then its index entry.
func (p *PasskeyStore) DeleteCredential(ctx context.Context, userID, id string, keepOne bool) error {
	uk := p.userKey(userID)
	reply, err := run(p.s, ctx, "passkey delete credential", func(ctx context.Context) (any, error) {
		return p.s.script(ctx, deleteCredScript, uk, enc(id), boolStr(keepOne))
	})
	if err != nil {
		return err
	}
	st, payload, err := statusOf(reply)
	if err != nil {
		return errCorrupt("reply", err)
	}
	switch st {
	case 0:
		return passkey.ErrNotFound
	case 2:
		return passkey.ErrLastCredential
	}
	cid, ok := payload.(string)
	if st != 1 || !ok {
		return errCorrupt("reply", fmt.Errorf("status %d, %T", st, payload))
	}
	// The passkey is gone; releasing its index entry is best effort (a
	// leftover one answers not found).
	ik := p.indexKey([]byte(cid))
	_, _ = run(p.s, context.WithoutCancel(ctx), "passkey delete credential", func(ctx context.Context) (any, error) {
		return p.s.script(ctx, releaseIndexScript, ik, userID)
	})
	return nil
}

// deleteUserScript: KEYS[1] user hash. Deletes it and returns the
// credential ids it held.
var deleteUserScript = goredis.NewScript(`
local all = redis.call('HGETALL', KEYS[1])
local ids = {}
for i = 1, #all, 2 do
  local f = all[i]
  if string.sub(f, -4) == ':cid' and string.sub(f, 1, 1) ~= '!' then ids[#ids+1] = all[i+1] end
end
redis.call('DEL', KEYS[1])
return ids
`)

// DeleteUserCredentials implements passkey.CredentialStore: the user's
// hash goes in one script, then the index entries of its credentials (best
// effort, as in DeleteCredential).
func (p *PasskeyStore) DeleteUserCredentials(ctx context.Context, userID string) error {
	uk := p.userKey(userID)
	reply, err := run(p.s, ctx, "passkey delete user", func(ctx context.Context) (any, error) {
		return p.s.script(ctx, deleteUserScript, uk)
	})
	if err != nil {
		return err
	}
	ids, ok := reply.([]any)
	if !ok {
		return errCorrupt("reply", fmt.Errorf("%T", reply))
	}
	for _, id := range ids {
		cid, ok := id.(string)
		if !ok {
			continue
		}
		ik := p.indexKey([]byte(cid))
		_, _ = run(p.s, context.WithoutCancel(ctx), "passkey delete user", func(ctx context.Context) (any, error) {
			return p.s.script(ctx, releaseIndexScript, ik, userID)
		})
	}
	return nil
}
