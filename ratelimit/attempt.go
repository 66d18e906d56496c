package ratelimit

import "context"

// Attempt runs try if the rule allows an event for key now, and records
// the event only if try reports false: for a limit on failures (wrong
// codes, NIST SP 800-63B-4 §3.2.2), where a success must not count. try
// runs under the key's lock, so the attempts of one key run one at a
// time and N concurrent failing attempts never get past the rule: the
// same guarantee as Allow before the attempt and Refund after a success,
// without the second call. Decision is what Allow would return, except
// that after a success Remaining does not count the attempt; a denied
// Decision means try did not run.
//
// try must be quick and must not call m (it holds a lock of m). The error
// is non-nil only for a done context, and then try did not run.
func (m *Memory) Attempt(ctx context.Context, key string, try func() (ok bool)) (Decision, error) {
	return m.decide(ctx, key, try)
}
