package phone_test

import (
	"errors"
	"fmt"

	"github.com/authkit/authkit/phone"
)

func Example() {
	// The three parts of an SMS verification request.
	n, err := phone.Parse("1", "9172113333", "US")
	if err != nil {
		fmt.Println("refused:", err) // httperr.Write answers it 400
		return
	}
	fmt.Println(n.E164, n.Region, n.Type)
	fmt.Println("logged as", n) // String is masked

	// The default policy texts mobile and fixed-line-or-mobile numbers only.
	var policy phone.Policy
	fmt.Println("policy:", policy.Check(n))

	tollFree, _ := phone.ParseE164("+18002530000")
	if err := policy.Check(tollFree); errors.Is(err, phone.ErrNotAllowed) {
		fmt.Println("not texted:", err)
	}

	_, err = phone.Parse("1", "9171113333", "US") // a US exchange cannot start with 1
	fmt.Println(errors.Is(err, phone.ErrInvalidNumber))
	// Output:
	// +19172113333 US fixed_line_or_mobile
	// logged as +1 *** *** 3333
	// policy: <nil>
	// not texted: phone: number not allowed: toll_free numbers are not allowed
	// true
}

// A service that takes a Number from its caller re-checks it with
// Revalidate: a parsed Number passes as is, an edited one is parsed again
// from its E.164 form, so its Type cannot be forged past a Policy.
func ExampleRevalidate() {
	n, _ := phone.Parse("1", "900 555 0100", "US")
	n.Type = phone.Mobile // a false claim
	checked, _ := phone.Revalidate(n)
	fmt.Println(checked.Type)
	// Output:
	// premium_rate
}
