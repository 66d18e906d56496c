package authkit_test

import (
	"encoding/json"
	"fmt"

	"github.com/authkit/authkit"
)

func Example() {
	u := authkit.User{
		ID:                   "0b6c8a40-5d1e-4c36-9a77-3c1f0f4e6a11",
		ProjectEnvironmentID: "95b11417-f18f-457f-8804-68e361f9164f",
		VerifiedCredentials: []authkit.VerifiedCredential{{
			ID: "6f1d2c3b-0000-4000-8000-000000000001", Format: authkit.FormatPhoneNumber, SignInEnabled: true,
			PublicIdentifier: "+19172113333", PhoneNumber: "9172113333", PhoneCountryCode: "1", IsoCountryCode: "US",
		}},
		Scope: authkit.Scopes{authkit.ScopeUserBasic}.String(),
	}
	b, _ := json.Marshal(u.VerifiedCredentials[0])
	fmt.Println(string(b))
	fmt.Println(authkit.ParseScopes(u.Scope).Has(authkit.ScopeUserBasic))
	// Output:
	// {"id":"6f1d2c3b-0000-4000-8000-000000000001","format":"phoneNumber","signInEnabled":true,"public_identifier":"+19172113333","phoneNumber":"9172113333","phoneCountryCode":"1","isoCountryCode":"US"}
	// true
}
