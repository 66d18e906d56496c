package otpcode_test

import (
	"fmt"

	"github.com/authkit/authkit/internal/otpcode"
)

func ExampleNormalize() {
	fmt.Println(otpcode.Normalize(" 123-456 ", 6))
	fmt.Println(otpcode.Normalize("12 3456", 6))
	// Output:
	// 123456 true
	//  false
}
