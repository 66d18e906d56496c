package redis

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	goredis "github.com/redis/go-redis/v9"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/mfa"
)

// A user's recovery set is one hash "{prefix:mfa:<user>}:recovery": fields
// "!cat" (CreatedAt), "!ack" (acknowledgement), "!n" (codes left) and one
// field "c<digest>" = "<issue index>:<sealed code>" per unused code, so that
// consuming a code is one HDEL of a field named by its digest.

func (m *MFAStore) recoveryKey(userID string) string { return m.s.userKey("mfa", userID, "recovery") }

func recoveryFields(set mfa.RecoverySet) []any {
	f := []any{"!cat", encTime(set.CreatedAt), "!ack", string(set.Acknowledgement), "!n", len(set.Codes)}
	for i, c := range set.Codes {
		f = append(f, "c"+string(c.Digest), strconv.Itoa(i)+":"+string(c.Sealed))
	}
	return f
}

func recoveryOf(userID string, h map[string]string) (mfa.RecoverySet, error) {
	set := mfa.RecoverySet{UserID: userID, Acknowledgement: authkit.BackupCodeAcknowledgement(h["!ack"]), Codes: []mfa.RecoveryCodeRecord{}}
	var err error
	if set.CreatedAt, err = decTime(h["!cat"]); err != nil {
		return set, errCorrupt("recovery set", err)
	}
	idx := make([]int, 0, len(h))
	for f, v := range h {
		if !strings.HasPrefix(f, "c") {
			continue
		}
		n, sealed, ok := strings.Cut(v, ":")
		i, err := strconv.Atoi(n)
		if !ok || err != nil {
			return set, errCorrupt("recovery code", fmt.Errorf("bad index"))
		}
		set.Codes = append(set.Codes, mfa.RecoveryCodeRecord{Digest: []byte(f[1:]), Sealed: []byte(sealed)})
		idx = append(idx, i)
	}
	sort.Sort(byIndex{set.Codes, idx})
	return set, nil
}

type byIndex struct {
	codes []mfa.RecoveryCodeRecord
	idx   []int
}

func (b byIndex) Len() int           { return len(b.codes) }
func (b byIndex) Less(i, j int) bool { return b.idx[i] < b.idx[j] }
func (b byIndex) Swap(i, j int) {
	b.codes[i], b.codes[j] = b.codes[j], b.codes[i]
	b.idx[i], b.idx[j] = b.idx[j], b.idx[i]
}

// replaceRecoveryScript: KEYS[1] set; ARGV: field/value pairs.
var replaceRecoveryScript = goredis.NewScript(`
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV))
return 0
`)

// ReplaceRecoverySet implements mfa.RecoveryStore.
func (m *MFAStore) ReplaceRecoverySet(ctx context.Context, set mfa.RecoverySet) error {
	k := m.recoveryKey(set.UserID)
	args := recoveryFields(set)
	_, err := run(m.s, ctx, "mfa replace recovery set", func(ctx context.Context) (any, error) {
		return m.s.script(ctx, replaceRecoveryScript, k, args...)
	})
	return err
}

// createRecoveryScript: KEYS[1] set; ARGV: field/value pairs. Returns {1}
// when created, else {0, the existing hash}.
var createRecoveryScript = goredis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return {0, redis.call('HGETALL', KEYS[1])} end
redis.call('HSET', KEYS[1], unpack(ARGV))
return {1}
`)

// CreateRecoverySet implements mfa.RecoveryStore.
func (m *MFAStore) CreateRecoverySet(ctx context.Context, set mfa.RecoverySet) (mfa.RecoverySet, bool, error) {
	k := m.recoveryKey(set.UserID)
	args := recoveryFields(set)
	reply, err := run(m.s, ctx, "mfa create recovery set", func(ctx context.Context) (any, error) {
		return m.s.script(ctx, createRecoveryScript, k, args...)
	})
	if err != nil {
		return mfa.RecoverySet{}, false, err
	}
	st, payload, err := statusOf(reply)
	if err != nil {
		return mfa.RecoverySet{}, false, errCorrupt("reply", err)
	}
	if st == 1 {
		out := set
		out.Codes = make([]mfa.RecoveryCodeRecord, len(set.Codes))
		for i, c := range set.Codes {
			out.Codes[i] = mfa.RecoveryCodeRecord{Digest: append([]byte(nil), c.Digest...), Sealed: append([]byte(nil), c.Sealed...)}
		}
		return out, true, nil
	}
	h, err := hashOf(payload)
	if err != nil {
		return mfa.RecoverySet{}, false, errCorrupt("reply", err)
	}
	cur, err := recoveryOf(set.UserID, h)
	return cur, false, err
}

// GetRecoverySet implements mfa.RecoveryStore.
func (m *MFAStore) GetRecoverySet(ctx context.Context, userID string) (mfa.RecoverySet, error) {
	k := m.recoveryKey(userID)
	h, err := run(m.s, ctx, "mfa get recovery set", func(ctx context.Context) (map[string]string, error) {
		return m.s.c.HGetAll(ctx, k).Result()
	})
	if err != nil {
		return mfa.RecoverySet{}, err
	}
	if len(h) == 0 {
		return mfa.RecoverySet{}, mfa.ErrNotFound
	}
	return recoveryOf(userID, h)
}

// consumeRecoveryScript: KEYS[1] set; ARGV: field of the code. Returns the
// codes left, or -1 when there is no such code.
var consumeRecoveryScript = goredis.NewScript(`
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return -1 end
return redis.call('HINCRBY', KEYS[1], '!n', -1)
`)

// ConsumeRecoveryCode implements mfa.RecoveryStore. The code is found by
// its keyed digest (the field name): nothing secret is compared.
func (m *MFAStore) ConsumeRecoveryCode(ctx context.Context, userID string, digest []byte) (int, error) {
	k := m.recoveryKey(userID)
	reply, err := run(m.s, ctx, "mfa consume recovery code", func(ctx context.Context) (any, error) {
		return m.s.script(ctx, consumeRecoveryScript, k, "c"+string(digest))
	})
	if err != nil {
		return 0, err
	}
	n, ok := reply.(int64)
	if !ok {
		return 0, errCorrupt("reply", fmt.Errorf("%T", reply))
	}
	if n < 0 {
		return 0, mfa.ErrNotFound
	}
	return int(n), nil
}

// setAckScript: KEYS[1] set; ARGV: state. Returns 0 when there is no set.
var setAckScript = goredis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], '!ack', ARGV[1])
return 1
`)

// SetAcknowledgement implements mfa.RecoveryStore.
func (m *MFAStore) SetAcknowledgement(ctx context.Context, userID string, state authkit.BackupCodeAcknowledgement) error {
	k := m.recoveryKey(userID)
	reply, err := run(m.s, ctx, "mfa set acknowledgement", func(ctx context.Context) (any, error) {
		return m.s.script(ctx, setAckScript, k, string(state))
	})
	if err != nil {
		return err
	}
	if reply != int64(1) {
		return mfa.ErrNotFound
	}
	return nil
}
