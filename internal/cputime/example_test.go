package cputime_test

import (
	"fmt"

	"github.com/authkit/authkit/internal/cputime"
)

// Thread measures the CPU time one side of a paired benchmark spends,
// which other load on the machine does not inflate as it does wall time.
func Example() {
	now, release := cputime.Thread()
	defer release()
	start := now()
	x := 0
	for i := range 5_000_000 { // the work being measured
		x += i ^ (x >> 3)
	}
	spent := now() - start
	fmt.Println("spent CPU time:", spent > 0, x != 0)
	// Output: spent CPU time: true true
}
