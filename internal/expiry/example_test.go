package expiry_test

import (
	"fmt"

	"github.com/authkit/authkit/internal/expiry"
)

func Example() {
	var q expiry.Queue[string]
	q.Push("b", 20)
	q.Push("a", 10)
	q.Push("c", 30)
	for {
		k, ok := q.PopDue(25)
		if !ok {
			break
		}
		fmt.Println(k)
	}
	fmt.Println(q.Len(), "left")
	// Output:
	// a
	// b
	// 1 left
}
