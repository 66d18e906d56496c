package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/account"
)

// AccountStore implements account.Store. Get it from Store.Accounts.
//
// The whole directory shares one hash tag, "{<prefix>:acct}", so that an
// operation spanning the credential index and a user (claiming a key while
// creating the user, unlinking while counting the user's other sign-in
// credentials) is one Lua script over keys of one Cluster slot, atomic on
// every deployment. The cost is that one Cluster node holds the directory
// (about 1 KB per user): the price of "one owner per credential" without
// distributed locks.
//
// Keys: "{<prefix>:acct}:idx" is a hash from credential key to user id;
// "{<prefix>:acct}:u:<user>" is a hash per user with its fields ("id",
// "env", "fv", "lv", "lc", "n"), one "p:<name>" per profile field (its JSON
// value), and per credential "c:<id>:d" (its JSON), ":k" (key), ":s"
// (sign-in enabled), ":t" (last selected) and ":o" (attach order), plus
// "k:<key>" = credential id. Scripts touch only the keys they are given:
// FindOrCreate reads the index first and passes the owner's key, and the
// script returns the current owner instead when the index changed in
// between (then the store retries): one round trip for a new credential,
// two for a known one.
type AccountStore struct{ s *Store }

var _ account.Store = (*AccountStore)(nil)

// Accounts returns the account.Store.
func (s *Store) Accounts() *AccountStore { return &AccountStore{s: s} }

func (a *AccountStore) idxKey() string { return "{" + a.s.prefix + ":acct}:idx" }

func (a *AccountStore) userKey(id string) string { return "{" + a.s.prefix + ":acct}:u:" + enc(id) }

// luaAccount holds the script helpers: attach or refresh a credential and
// record the visit. Only attach sets sign-in enabled (see account.Store). ARGV layout shared by FindOrCreate and Link:
// key, credential id, data, sign-in, now.
const luaAccount = `
local function touch(u, cid, a)
  redis.call('HSET', u, 'c:'..cid..':d', a[3], 'c:'..cid..':t', a[5], 'lv', a[5], 'lc', cid)
end
local function attach(idx, u, uid, a)
  local cid = a[2]
  local o = redis.call('HINCRBY', u, 'n', 1)
  redis.call('HSET', u, 'c:'..cid..':k', a[1], 'c:'..cid..':o', o, 'c:'..cid..':s', a[4], 'k:'..a[1], cid)
  redis.call('HSET', idx, a[1], uid)
  touch(u, cid, a)
end
`

// findOrCreateScript: KEYS idx, user (the expected owner's, or the new
// user's); ARGV key, cid, data, signin, now, expected owner ("" = none),
// new user id, env. Returns {0, created, hash}, or {1, owner} when the
// index no longer matches the expectation.
var findOrCreateScript = goredis.NewScript(luaAccount + `
local owner = redis.call('HGET', KEYS[1], ARGV[1]) or ''
if owner ~= ARGV[6] then return {1, owner} end
if owner == '' then
  if redis.call('EXISTS', KEYS[2]) == 1 then return redis.error_reply('user id exists') end
  redis.call('HSET', KEYS[2], 'id', ARGV[7], 'env', ARGV[8], 'fv', ARGV[5], 'n', 0)
  attach(KEYS[1], KEYS[2], ARGV[7], ARGV)
  return {0, 1, redis.call('HGETALL', KEYS[2])}
end
local cid = redis.call('HGET', KEYS[2], 'k:'..ARGV[1])
if not cid then return redis.error_reply('index and user disagree') end
touch(KEYS[2], cid, ARGV)
return {0, 0, redis.call('HGETALL', KEYS[2])}
`)

// linkScript: KEYS idx, user; ARGV key, cid, data, signin, now, user id.
// Returns {0, hash}, {1} unknown user, {2} taken.
var linkScript = goredis.NewScript(luaAccount + `
if redis.call('EXISTS', KEYS[2]) == 0 then return {1} end
local owner = redis.call('HGET', KEYS[1], ARGV[1])
if owner and owner ~= ARGV[6] then return {2} end
if owner then
  touch(KEYS[2], redis.call('HGET', KEYS[2], 'k:'..ARGV[1]), ARGV)
else
  attach(KEYS[1], KEYS[2], ARGV[6], ARGV)
end
return {0, redis.call('HGETALL', KEYS[2])}
`)

// unlinkScript: KEYS idx, user; ARGV credential id. Returns {0, hash},
// {1} unknown user, {2} no such credential, {3} last sign-in credential.
var unlinkScript = goredis.NewScript(`
if redis.call('EXISTS', KEYS[2]) == 0 then return {1} end
local cid = ARGV[1]
local pre = 'c:'..cid..':'
local key = redis.call('HGET', KEYS[2], pre..'k')
if not key then return {2} end
if redis.call('HGET', KEYS[2], pre..'s') == '1' then
  local all = redis.call('HGETALL', KEYS[2])
  local others = 0
  for i = 1, #all, 2 do
    local f = all[i]
    if all[i+1] == '1' and string.sub(f, 1, 2) == 'c:' and string.sub(f, -2) == ':s' and f ~= pre..'s' then
      others = others + 1
    end
  end
  if others == 0 then return {3} end
end
redis.call('HDEL', KEYS[2], pre..'d', pre..'k', pre..'s', pre..'t', pre..'o', 'k:'..key)
redis.call('HDEL', KEYS[1], key)
if redis.call('HGET', KEYS[2], 'lc') == cid then redis.call('HSET', KEYS[2], 'lc', '') end
return {0, redis.call('HGETALL', KEYS[2])}
`)

// updateScript: KEYS user; ARGV field/value pairs. Returns {0, hash} or {1}.
var updateScript = goredis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return {1} end
if #ARGV > 0 then redis.call('HSET', KEYS[1], unpack(ARGV)) end
return {0, redis.call('HGETALL', KEYS[1])}
`)

// deleteScript: KEYS idx, user. Frees every key of the user, then deletes
// it. Returns 0, or 1 for an unknown user.
var deleteScript = goredis.NewScript(`
local all = redis.call('HGETALL', KEYS[2])
if #all == 0 then return 1 end
for i = 1, #all, 2 do
  if string.sub(all[i], 1, 2) == 'k:' then redis.call('HDEL', KEYS[1], string.sub(all[i], 3)) end
end
redis.call('DEL', KEYS[2])
return 0
`)

// credData is the stored JSON of a credential: the wire form without the
// fields kept beside it.
func credData(c account.Credential) (string, error) {
	b, err := json.Marshal(c.VerifiedCredential)
	if err != nil {
		return "", fmt.Errorf("%w: credential: %v", ErrInvalidArgument, err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return "", err
	}
	delete(m, "id")
	delete(m, "signInEnabled")
	delete(m, "lastSelectedAt")
	b, err = json.Marshal(m)
	return string(b), err
}

func (a *AccountStore) credArgs(c account.Credential, now time.Time) ([]any, error) {
	if c.Key == "" || c.ID == "" {
		return nil, fmt.Errorf("%w: credential without key or id", ErrInvalidArgument)
	}
	data, err := credData(c)
	if err != nil {
		return nil, err
	}
	return []any{c.Key, c.ID, data, boolStr(c.SignInEnabled), encTime(now)}, nil
}

// maxOwnerRetries bounds FindOrCreate's re-runs when the index changed
// between its read and the script (a concurrent sign-in, unlink or delete).
const maxOwnerRetries = 16

// FindOrCreate implements account.Store.
func (a *AccountStore) FindOrCreate(ctx context.Context, u authkit.User, c account.Credential, now time.Time) (authkit.User, bool, error) {
	if u.ID == "" {
		return authkit.User{}, false, fmt.Errorf("%w: empty user id", ErrInvalidArgument)
	}
	args, err := a.credArgs(c, now)
	if err != nil {
		return authkit.User{}, false, err
	}
	expected := "" // guess a new credential: one round trip for a first sign-in
	for range maxOwnerRetries {
		uk := a.userKey(u.ID)
		if expected != "" {
			uk = a.userKey(expected)
		}
		keys := []string{a.idxKey(), uk}
		argv := append(append([]any(nil), args...), expected, u.ID, u.ProjectEnvironmentID)
		reply, err := run(a.s, ctx, "account find or create", func(ctx context.Context) (any, error) {
			return findOrCreateScript.Run(ctx, a.s.c, keys, argv...).Result()
		})
		if err != nil {
			return authkit.User{}, false, err
		}
		st, payload, err := statusOf(reply)
		if err != nil {
			return authkit.User{}, false, errCorrupt("reply", err)
		}
		if st == 1 {
			owner, ok := payload.(string)
			if !ok {
				return authkit.User{}, false, errCorrupt("reply", fmt.Errorf("owner is %T", payload))
			}
			expected = owner
			continue
		}
		arr, _ := reply.([]any)
		if st != 0 || len(arr) != 3 {
			return authkit.User{}, false, errCorrupt("reply", fmt.Errorf("status %d", st))
		}
		out, err := userOf(arr[2])
		if err != nil {
			return authkit.User{}, false, err
		}
		return out, arr[1] == int64(1), nil
	}
	return authkit.User{}, false, fmt.Errorf("%w: account find or create: credential owner kept changing", ErrUnavailable)
}

// Link implements account.Store.
func (a *AccountStore) Link(ctx context.Context, userID string, c account.Credential, now time.Time) (authkit.User, error) {
	args, err := a.credArgs(c, now)
	if err != nil {
		return authkit.User{}, err
	}
	keys := []string{a.idxKey(), a.userKey(userID)}
	return a.call(ctx, "account link", linkScript, keys, append(args, userID)...)
}

// Unlink implements account.Store.
func (a *AccountStore) Unlink(ctx context.Context, userID, credentialID string) (authkit.User, error) {
	return a.call(ctx, "account unlink", unlinkScript, []string{a.idxKey(), a.userKey(userID)}, credentialID)
}

// UpdateProfile implements account.Store: each non-nil field is one hash
// field holding its JSON value, so concurrent updates of different fields
// never overwrite each other.
func (a *AccountStore) UpdateProfile(ctx context.Context, userID string, p account.Profile) (authkit.User, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return authkit.User{}, fmt.Errorf("%w: profile: %v", ErrInvalidArgument, err)
	}
	var patch map[string]json.RawMessage
	if err := json.Unmarshal(b, &patch); err != nil {
		return authkit.User{}, err
	}
	args := make([]any, 0, 2*len(patch))
	for name, v := range patch {
		args = append(args, "p:"+name, string(v))
	}
	return a.call(ctx, "account update profile", updateScript, []string{a.userKey(userID)}, args...)
}

// call runs a script answering {0, hash} or {status}.
func (a *AccountStore) call(ctx context.Context, op string, sc *goredis.Script, keys []string, args ...any) (authkit.User, error) {
	reply, err := run(a.s, ctx, op, func(ctx context.Context) (any, error) {
		return sc.Run(ctx, a.s.c, keys, args...).Result()
	})
	if err != nil {
		return authkit.User{}, err
	}
	st, payload, err := statusOf(reply)
	if err != nil {
		return authkit.User{}, errCorrupt("reply", err)
	}
	switch st {
	case 0:
		return userOf(payload)
	case 1:
		return authkit.User{}, account.ErrNotFound
	case 2:
		if op == "account link" {
			return authkit.User{}, account.ErrCredentialTaken
		}
		return authkit.User{}, account.ErrCredentialNotFound
	case 3:
		return authkit.User{}, account.ErrLastCredential
	}
	return authkit.User{}, errCorrupt("reply", fmt.Errorf("status %d", st))
}

// Get implements account.Store (one HGETALL).
func (a *AccountStore) Get(ctx context.Context, userID string) (authkit.User, error) {
	k := a.userKey(userID)
	h, err := run(a.s, ctx, "account get", func(ctx context.Context) (map[string]string, error) {
		return a.s.c.HGetAll(ctx, k).Result()
	})
	if err != nil {
		return authkit.User{}, err
	}
	if len(h) == 0 {
		return authkit.User{}, account.ErrNotFound
	}
	return userFromHash(h)
}

// Delete implements account.Store.
func (a *AccountStore) Delete(ctx context.Context, userID string) error {
	keys := []string{a.idxKey(), a.userKey(userID)}
	st, err := run(a.s, ctx, "account delete", func(ctx context.Context) (any, error) {
		return deleteScript.Run(ctx, a.s.c, keys).Result()
	})
	if err != nil {
		return err
	}
	if st == int64(1) {
		return account.ErrNotFound
	}
	return nil
}

func userOf(v any) (authkit.User, error) {
	h, err := hashOf(v)
	if err != nil {
		return authkit.User{}, errCorrupt("user", err)
	}
	if h == nil {
		return authkit.User{}, account.ErrNotFound
	}
	return userFromHash(h)
}

// userFromHash decodes a user hash (see AccountStore).
func userFromHash(h map[string]string) (authkit.User, error) {
	var u authkit.User
	profile := map[string]json.RawMessage{}
	type cred struct {
		vc    authkit.VerifiedCredential
		data  string
		order int64
	}
	creds := map[string]*cred{}
	credOf := func(id string) *cred {
		c := creds[id]
		if c == nil {
			c = &cred{}
			c.vc.ID = id
			creds[id] = c
		}
		return c
	}
	for f, v := range h {
		switch {
		case strings.HasPrefix(f, "p:"):
			profile[f[2:]] = json.RawMessage(v)
		case strings.HasPrefix(f, "c:") && len(f) > 4 && f[len(f)-2] == ':':
			c := credOf(f[2 : len(f)-2])
			switch f[len(f)-1] {
			case 'd':
				c.data = v
			case 's':
				c.vc.SignInEnabled = v == "1"
			case 't':
				t, err := decTime(v)
				if err != nil {
					return authkit.User{}, errCorrupt("credential", err)
				}
				if !t.IsZero() {
					c.vc.LastSelectedAt = &t
				}
			case 'o':
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					return authkit.User{}, errCorrupt("credential", err)
				}
				c.order = n
			}
		}
	}
	if len(profile) > 0 {
		b, err := json.Marshal(profile)
		if err == nil {
			err = json.Unmarshal(b, &u)
		}
		if err != nil {
			return authkit.User{}, errCorrupt("profile", err)
		}
	}
	list := make([]*cred, 0, len(creds))
	for id, c := range creds {
		// VerifiedCredential's decoder replaces the whole value: decode
		// the data first, then set the fields kept beside it.
		var vc authkit.VerifiedCredential
		if err := json.Unmarshal([]byte(c.data), &vc); err != nil {
			return authkit.User{}, errCorrupt("credential", err)
		}
		vc.ID, vc.SignInEnabled, vc.LastSelectedAt = id, c.vc.SignInEnabled, c.vc.LastSelectedAt
		c.vc = vc
		list = append(list, c)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].order < list[j].order })
	u.VerifiedCredentials = make([]authkit.VerifiedCredential, len(list))
	for i, c := range list {
		u.VerifiedCredentials[i] = c.vc
	}
	u.ID, u.ProjectEnvironmentID, u.LastVerifiedCredentialID = h["id"], h["env"], h["lc"]
	for _, t := range []struct {
		f   string
		dst **time.Time
	}{{"fv", &u.FirstVisit}, {"lv", &u.LastVisit}} {
		v, err := decTime(h[t.f])
		if err != nil {
			return authkit.User{}, errCorrupt("user", err)
		}
		if !v.IsZero() {
			*t.dst = &v
		}
	}
	return u, nil
}
