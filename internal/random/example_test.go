package random_test

import (
	"bytes"
	"fmt"

	"github.com/authkit/authkit/internal/random"
)

func Example() {
	// Production passes nil (crypto/rand); a test may pass its own reader.
	code, _ := random.Digits(nil, 6)
	fmt.Println(len(code))
	id, _ := random.UUID(bytes.NewReader(make([]byte, 16)))
	fmt.Println(id, random.IsUUID(id))
	// Output:
	// 6
	// 00000000-0000-4000-8000-000000000000 true
}
