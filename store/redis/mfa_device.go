package redis

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	goredis "github.com/redis/go-redis/v9"

	"github.com/authkit/authkit/mfa"
)

// MFAStore implements mfa.Store.
//
// All devices of a user live in one hash, "{prefix:mfa:<user>}:devices",
// with fields "<device>:<attribute>" plus "!def" (the default device): the
// rules that span devices run in Go through UpdateDevices, a
// compare-and-set of the whole hash, and the TOTP replay guard is one
// script on one field. Recovery codes are one hash per user
// (see mfa_recovery.go), MFA tokens one hash per user (mfa_token.go), attempt
// windows one hash per key.
type MFAStore struct{ s *Store }

var _ mfa.Store = (*MFAStore)(nil)

// deviceAttrs are the per-device fields, in the order GetDevice reads
// them (followed by "!def").
var deviceAttrs = [...]string{"id", "type", "alias", "sec", "ver", "cat", "vat", "step"}

func (m *MFAStore) devicesKey(userID string) string { return m.s.userKey("mfa", userID, "devices") }

func boolStr(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// deviceOf builds a record from the attribute values (deviceAttrs order)
// and the default device's encoded id.
func deviceOf(userID, e string, vals []string, def string) (mfa.DeviceRecord, error) {
	d := mfa.DeviceRecord{
		ID: vals[0], UserID: userID, Type: mfa.DeviceType(vals[1]), Alias: vals[2],
		SealedSecret: []byte(vals[3]), Verified: vals[4] == "1", Default: def != "" && def == e,
	}
	var err error
	if d.CreatedAt, err = decTime(vals[5]); err != nil {
		return d, errCorrupt("device", err)
	}
	if d.VerifiedAt, err = decTime(vals[6]); err != nil {
		return d, errCorrupt("device", err)
	}
	if d.LastStep, err = strconv.ParseUint(vals[7], 10, 64); err != nil {
		return d, errCorrupt("device", err)
	}
	return d, nil
}

// deviceReply decodes GetDevice's HMGET: nil values
// mean the device does not exist.
func deviceReply(userID, e string, arr []any) (mfa.DeviceRecord, error) {
	if len(arr) != len(deviceAttrs)+1 {
		return mfa.DeviceRecord{}, errCorrupt("reply", fmt.Errorf("%d values", len(arr)))
	}
	if arr[0] == nil {
		return mfa.DeviceRecord{}, mfa.ErrNotFound
	}
	vals := make([]string, len(arr))
	for i, v := range arr {
		if v == nil {
			continue // only "!def" may be absent
		}
		s, ok := v.(string)
		if !ok {
			return mfa.DeviceRecord{}, errCorrupt("reply", fmt.Errorf("value is %T", v))
		}
		vals[i] = s
	}
	return deviceOf(userID, e, vals[:len(deviceAttrs)], vals[len(deviceAttrs)])
}

// GetDevice implements mfa.DeviceStore.
func (m *MFAStore) GetDevice(ctx context.Context, userID, deviceID string) (mfa.DeviceRecord, error) {
	e := enc(deviceID)
	fields := make([]string, 0, len(deviceAttrs)+1)
	for _, a := range deviceAttrs {
		fields = append(fields, e+":"+a)
	}
	fields = append(fields, "!def")
	k := m.devicesKey(userID)
	arr, err := run(m.s, ctx, "mfa get device", func(ctx context.Context) ([]any, error) {
		return m.s.c.HMGet(ctx, k, fields...).Result()
	})
	if err != nil {
		return mfa.DeviceRecord{}, err
	}
	return deviceReply(userID, e, arr)
}

// ListDevices implements mfa.DeviceStore.
func (m *MFAStore) ListDevices(ctx context.Context, userID string) ([]mfa.DeviceRecord, error) {
	k := m.devicesKey(userID)
	h, err := run(m.s, ctx, "mfa list devices", func(ctx context.Context) (map[string]string, error) {
		return m.s.c.HGetAll(ctx, k).Result()
	})
	if err != nil {
		return nil, err
	}
	return devicesOf(userID, h)
}

// devicesOf decodes the devices hash, oldest (CreatedAt, then ID) first.
func devicesOf(userID string, h map[string]string) (mfa.Devices, error) {
	byDevice := map[string]map[string]string{}
	for f, v := range h {
		if strings.HasPrefix(f, "!") {
			continue
		}
		e, attr, ok := strings.Cut(f, ":")
		if !ok {
			return nil, errCorrupt("device field", fmt.Errorf("%q", f))
		}
		if byDevice[e] == nil {
			byDevice[e] = map[string]string{}
		}
		byDevice[e][attr] = v
	}
	out := make(mfa.Devices, 0, len(byDevice))
	for e, attrs := range byDevice {
		vals := make([]string, len(deviceAttrs))
		for i, a := range deviceAttrs {
			vals[i] = attrs[a]
		}
		d, err := deviceOf(userID, e, vals, h["!def"])
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// markStepScript: KEYS[1] devices; ARGV: device, step.
// Returns 0 ok, 1 not found (or unverified), 3 step used.
var markStepScript = goredis.NewScript(luaLib + `
local d = ARGV[1]
local r = redis.call('HMGET', KEYS[1], d..':ver', d..':step')
if r[1] ~= '1' then return 1 end
if not dec_gt(ARGV[2], r[2]) then return 3 end
redis.call('HSET', KEYS[1], d..':step', ARGV[2])
return 0
`)

// MarkStepUsed implements mfa.DeviceStore: the TOTP replay guard, one
// script (one round trip) per accepted code.
func (m *MFAStore) MarkStepUsed(ctx context.Context, userID, deviceID string, step uint64) error {
	e := enc(deviceID)
	k := m.devicesKey(userID)
	st, err := run(m.s, ctx, "mfa mark step used", func(ctx context.Context) (any, error) {
		return m.s.script(ctx, markStepScript, k, e, strconv.FormatUint(step, 10))
	})
	if err != nil {
		return err
	}
	switch st {
	case int64(0):
		return nil
	case int64(1):
		return mfa.ErrNotFound
	case int64(3):
		return mfa.ErrStepUsed
	}
	return errCorrupt("reply", fmt.Errorf("status %v", st))
}
