package redis

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/authkit/authkit/mfa"
)

// MFAStore implements mfa.Store.
//
// All devices of a user live in one hash, "{prefix:mfa:<user>}:devices",
// with fields "<device>:<attribute>" plus "!def" (the default device) and
// "!n" (the device count): every device operation, including the ones that
// span devices (the device limit, choosing a default, promoting one on
// delete), is one script on one key. Recovery codes are one hash per user
// (see mfa_recovery.go), MFA tokens one hash per user (mfa_token.go), attempt
// windows one hash per key.
type MFAStore struct{ s *Store }

var _ mfa.Store = (*MFAStore)(nil)

// deviceAttrs are the per-device fields, in the order the scripts return
// them (followed by "!def").
var deviceAttrs = [...]string{"id", "type", "alias", "sec", "ver", "cat", "vat", "step"}

// luaDevice returns the device's attributes and the default device.
const luaDevice = `
local function device(k, d)
  return redis.call('HMGET', k, d..':id', d..':type', d..':alias', d..':sec', d..':ver', d..':cat', d..':vat', d..':step', '!def')
end
`

func (m *MFAStore) devicesKey(userID string) string { return m.s.userKey("mfa", userID, "devices") }

// createDeviceScript: KEYS[1] devices; ARGV: device, max, field/value pairs.
// Returns 0 created, 1 duplicate, 2 limit reached.
var createDeviceScript = goredis.NewScript(`
local d = ARGV[1]
if redis.call('HEXISTS', KEYS[1], d..':id') == 1 then return 1 end
local n = tonumber(redis.call('HGET', KEYS[1], '!n') or '0')
if n >= tonumber(ARGV[2]) then return 2 end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('HINCRBY', KEYS[1], '!n', 1)
return 0
`)

func boolStr(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// CreateDevice implements mfa.DeviceStore. Device ids are unique per user
// (the store detects a duplicate id among the user's devices); the Service
// makes them random UUIDs, unique across users in practice.
func (m *MFAStore) CreateDevice(ctx context.Context, d mfa.DeviceRecord, maxDevices int) error {
	e := enc(d.ID)
	args := []any{e, maxDevices,
		e + ":id", d.ID, e + ":type", string(d.Type), e + ":alias", d.Alias, e + ":sec", d.SealedSecret,
		e + ":ver", boolStr(d.Verified), e + ":cat", encTime(d.CreatedAt), e + ":vat", encTime(d.VerifiedAt),
		e + ":step", strconv.FormatUint(d.LastStep, 10)}
	k := m.devicesKey(d.UserID)
	st, err := run(m.s, ctx, "mfa create device", func(ctx context.Context) (any, error) {
		return m.s.script(ctx, createDeviceScript, k, args...)
	})
	if err != nil {
		return err
	}
	switch st {
	case int64(0):
		if d.Default {
			// A record created as default (not something the Service does)
			// is honoured only if no other device is the default.
			_, err := run(m.s, ctx, "mfa create device", func(ctx context.Context) (bool, error) {
				return m.s.c.HSetNX(ctx, k, "!def", e).Result()
			})
			return err
		}
		return nil
	case int64(1):
		return mfa.ErrDuplicate
	case int64(2):
		return mfa.ErrDeviceLimit
	}
	return errCorrupt("reply", fmt.Errorf("status %v", st))
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

// deviceReply decodes an HMGET from luaDevice (or GetDevice): nil values
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
	out := make([]mfa.DeviceRecord, 0, len(byDevice))
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

// confirmDeviceScript: KEYS[1] devices; ARGV: device, step, now.
// Returns {status, device…}: 0 ok, 1 not found, 2 already confirmed, 3 step used.
var confirmDeviceScript = goredis.NewScript(luaLib + luaDevice + `
local d = ARGV[1]
local r = redis.call('HMGET', KEYS[1], d..':id', d..':ver', d..':step', '!def')
if not r[1] then return {1} end
if r[2] == '1' then return {2} end
if not dec_gt(ARGV[2], r[3]) then return {3} end
redis.call('HSET', KEYS[1], d..':ver', '1', d..':vat', ARGV[3], d..':step', ARGV[2])
if not r[4] then redis.call('HSET', KEYS[1], '!def', d) end
return {0, device(KEYS[1], d)}
`)

// ConfirmDevice implements mfa.DeviceStore.
func (m *MFAStore) ConfirmDevice(ctx context.Context, userID, deviceID string, step uint64, now time.Time) (mfa.DeviceRecord, error) {
	e := enc(deviceID)
	k := m.devicesKey(userID)
	reply, err := run(m.s, ctx, "mfa confirm device", func(ctx context.Context) (any, error) {
		return m.s.script(ctx, confirmDeviceScript, k, e, strconv.FormatUint(step, 10), us(now))
	})
	if err != nil {
		return mfa.DeviceRecord{}, err
	}
	arr, ok := reply.([]any)
	if !ok || len(arr) == 0 {
		return mfa.DeviceRecord{}, errCorrupt("reply", fmt.Errorf("%T", reply))
	}
	switch arr[0] {
	case int64(0):
		if len(arr) != 2 {
			return mfa.DeviceRecord{}, errCorrupt("reply", fmt.Errorf("%d values", len(arr)))
		}
		vals, _ := arr[1].([]any)
		return deviceReply(userID, e, vals)
	case int64(1):
		return mfa.DeviceRecord{}, mfa.ErrNotFound
	case int64(2):
		return mfa.DeviceRecord{}, mfa.ErrAlreadyConfirmed
	case int64(3):
		return mfa.DeviceRecord{}, mfa.ErrStepUsed
	}
	return mfa.DeviceRecord{}, errCorrupt("reply", fmt.Errorf("status %v", arr[0]))
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

// deleteDeviceScript: KEYS[1] devices; ARGV: device. Removes the device and,
// if it was the default, makes the oldest verified device (CreatedAt, then
// ID, bytewise) the default. Returns 0 ok, 1 not found.
var deleteDeviceScript = goredis.NewScript(luaLib + `
local d = ARGV[1]
if redis.call('HEXISTS', KEYS[1], d..':id') == 0 then return 1 end
redis.call('HDEL', KEYS[1], d..':id', d..':type', d..':alias', d..':sec', d..':ver', d..':cat', d..':vat', d..':step')
local n = redis.call('HINCRBY', KEYS[1], '!n', -1)
if n <= 0 then
  redis.call('DEL', KEYS[1])
  return 0
end
if redis.call('HGET', KEYS[1], '!def') ~= d then return 0 end
redis.call('HDEL', KEYS[1], '!def')
local all = redis.call('HGETALL', KEYS[1])
local devs = {}
for i = 1, #all, 2 do
  local e, a = string.match(all[i], '^([^!][^:]*):(%a+)$')
  if e then
    devs[e] = devs[e] or {}
    devs[e][a] = all[i + 1]
  end
end
local best, bcat, bid
for e, x in pairs(devs) do
  if x.ver == '1' then
    local cat = tonumber(x.cat) or 0 -- "" (no CreatedAt) first; never a nil compare after the HDEL above
    if not best or cat < bcat or (cat == bcat and bytes_lt(x.id, bid)) then
      best, bcat, bid = e, cat, x.id
    end
  end
end
if best then redis.call('HSET', KEYS[1], '!def', best) end
return 0
`)

// DeleteDevice implements mfa.DeviceStore.
func (m *MFAStore) DeleteDevice(ctx context.Context, userID, deviceID string) error {
	e := enc(deviceID)
	k := m.devicesKey(userID)
	st, err := run(m.s, ctx, "mfa delete device", func(ctx context.Context) (any, error) {
		return m.s.script(ctx, deleteDeviceScript, k, e)
	})
	if err != nil {
		return err
	}
	switch st {
	case int64(0):
		return nil
	case int64(1):
		return mfa.ErrNotFound
	}
	return errCorrupt("reply", fmt.Errorf("status %v", st))
}
