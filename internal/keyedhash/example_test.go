package keyedhash_test

import (
	"bytes"
	"fmt"

	"github.com/authkit/authkit/internal/keyedhash"
)

func Example() {
	oldKey, newKey := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	before, _ := keyedhash.New([][]byte{oldKey})
	digest := before.Sum("verification-id", "123456") // stored instead of the code

	after, _ := keyedhash.New([][]byte{newKey, oldKey}) // rotated: new key first
	fmt.Println(after.Verify("verification-id", "123456", digest))
	fmt.Println(after.Verify("other-id", "123456", digest))
	// Output:
	// true
	// false
}
