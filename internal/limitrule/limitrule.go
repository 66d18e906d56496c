// Package limitrule holds the check store adapters make when they hand
// out ratelimit limiters: one name, one rule, as ratelimit.MemoryBackend
// enforces in process.
package limitrule

import (
	"fmt"
	"sync"

	"github.com/authkit/authkit/ratelimit"
)

// Registry records the rule each limiter name was first handed out with.
// The zero value is ready to use and safe for concurrent use.
type Registry struct {
	rules sync.Map // limiter name → its ratelimit.Rule
}

// Claim records rule for name, or reports an error wrapping
// ratelimit.ErrConfig if name already has another rule: two rules would
// count one set of keys.
func (r *Registry) Claim(name string, rule ratelimit.Rule) error {
	if old, loaded := r.rules.LoadOrStore(name, rule); loaded && old.(ratelimit.Rule) != rule {
		return fmt.Errorf("%w: limiter %q already has rule %s", ratelimit.ErrConfig, name, old)
	}
	return nil
}
