package limitrule_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/authkit/authkit/internal/limitrule"
	"github.com/authkit/authkit/ratelimit"
)

func ExampleRegistry_Claim() {
	var r limitrule.Registry
	five := ratelimit.Rule{Limit: 5, Window: time.Minute}
	fmt.Println(r.Claim("login", five))
	fmt.Println(r.Claim("login", five))
	err := r.Claim("login", ratelimit.Rule{Limit: 6, Window: time.Minute})
	fmt.Println(errors.Is(err, ratelimit.ErrConfig))
	// Output:
	// <nil>
	// <nil>
	// true
}
