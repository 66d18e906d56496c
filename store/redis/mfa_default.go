package redis

import (
	"context"
	"fmt"

	goredis "github.com/redis/go-redis/v9"

	"github.com/authkit/authkit/mfa"
)

// setDefaultScript: KEYS[1] devices; ARGV: device. Makes a verified device
// the default ("!def" names one device, so the others lose it in the same
// write). Returns 0 ok, 1 not found or unverified.
var setDefaultScript = goredis.NewScript(`
if redis.call('HGET', KEYS[1], ARGV[1]..':ver') ~= '1' then return 1 end
redis.call('HSET', KEYS[1], '!def', ARGV[1])
return 0
`)

// SetDefaultDevice implements mfa.DeviceStore.
func (m *MFAStore) SetDefaultDevice(ctx context.Context, userID, deviceID string) error {
	k := m.devicesKey(userID)
	st, err := run(m.s, ctx, "mfa set default device", func(ctx context.Context) (any, error) {
		return m.s.script(ctx, setDefaultScript, k, enc(deviceID))
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
