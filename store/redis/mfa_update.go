package redis

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/authkit/authkit/mfa"
)

// updateDevicesScript is the compare-and-set of UpdateDevices. KEYS[1]
// devices; ARGV[1] n; ARGV[2 … 2n+1] the field/value pairs read before fn
// ran; the rest the new pairs. It replaces the hash only if it still holds
// exactly the pairs read (any write in between, a MarkStepUsed or a DEL
// included, changes them: no version number that a DEL could reset).
// Returns 0 written, 1 changed since read.
var updateDevicesScript = goredis.NewScript(`
local n = tonumber(ARGV[1])
local cur = redis.call('HGETALL', KEYS[1])
if #cur ~= 2 * n then return 1 end
local old = {}
for i = 2, 2 * n + 1, 2 do old[ARGV[i]] = ARGV[i + 1] end
for i = 1, #cur, 2 do
  if old[cur[i]] ~= cur[i + 1] then return 1 end
end
redis.call('DEL', KEYS[1])
if #ARGV > 2 * n + 1 then redis.call('HSET', KEYS[1], unpack(ARGV, 2 * n + 2)) end
return 0
`)

// maxUpdateTries bounds the optimistic retries of UpdateDevices; each
// conflict means another writer of the same user succeeded, so running out
// takes that many concurrent changes of one user's devices, and is reported
// as ErrUnavailable, never as a success.
const maxUpdateTries = 100

// UpdateDevices implements mfa.DeviceStore optimistically: read the hash
// (one round trip), run fn, write with the compare-and-set script (one
// round trip), and start again if the hash changed in between. An fn that
// changes nothing costs the read only.
func (m *MFAStore) UpdateDevices(ctx context.Context, userID string, fn func(mfa.Devices) (mfa.Devices, error)) error {
	k := m.devicesKey(userID)
	for try := range maxUpdateTries {
		if try > 0 { // another writer won: a random pause spreads the retries
			t := time.NewTimer(time.Duration(rand.Int64N(int64(try)*int64(50*time.Microsecond) + 1)))
			select {
			case <-ctx.Done():
				t.Stop()
				return m.s.fail(ctx, "mfa update devices", ctx.Err())
			case <-t.C:
			}
		}
		h, err := run(m.s, ctx, "mfa update devices", func(ctx context.Context) (map[string]string, error) {
			return m.s.c.HGetAll(ctx, k).Result()
		})
		if err != nil {
			return err
		}
		old, err := devicesOf(userID, h)
		if err != nil {
			return err
		}
		next, err := fn(old)
		if err != nil {
			return err
		}
		pairs := devicePairs(next)
		if samePairs(h, pairs) {
			return nil
		}
		args := make([]any, 0, 1+2*len(h)+len(pairs))
		args = append(args, len(h))
		for f, v := range h {
			args = append(args, f, v)
		}
		for _, p := range pairs {
			args = append(args, p)
		}
		st, err := run(m.s, ctx, "mfa update devices", func(ctx context.Context) (any, error) {
			return m.s.script(ctx, updateDevicesScript, k, args...)
		})
		if err != nil {
			return err
		}
		switch st {
		case int64(0):
			return nil
		case int64(1):
			continue
		}
		return errCorrupt("reply", fmt.Errorf("status %v", st))
	}
	return fmt.Errorf("%w: mfa update devices: %d concurrent changes in a row", ErrUnavailable, maxUpdateTries)
}

// devicePairs encodes devices as the hash's field/value pairs.
func devicePairs(ds mfa.Devices) []string {
	out := make([]string, 0, len(ds)*2*len(deviceAttrs)+2)
	for _, d := range ds {
		e := enc(d.ID)
		out = append(out,
			e+":id", d.ID, e+":type", string(d.Type), e+":alias", d.Alias, e+":sec", string(d.SealedSecret),
			e+":ver", boolStr(d.Verified), e+":cat", encTime(d.CreatedAt), e+":vat", encTime(d.VerifiedAt),
			e+":step", strconv.FormatUint(d.LastStep, 10))
		if d.Default {
			out = append(out, "!def", e)
		}
	}
	return out
}

// samePairs reports whether the hash h holds exactly pairs.
func samePairs(h map[string]string, pairs []string) bool {
	if len(h)*2 != len(pairs) {
		return false
	}
	for i := 0; i < len(pairs); i += 2 {
		if v, ok := h[pairs[i]]; !ok || v != pairs[i+1] {
			return false
		}
	}
	return true
}
