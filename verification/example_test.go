package verification_test

import (
	"bytes"
	"context"
	"fmt"

	"github.com/authkit/authkit/phone"
	"github.com/authkit/authkit/verification"
	"github.com/authkit/authkit/verification/verificationtest"
)

func Example() {
	ctx := context.Background()
	// In tests, codes go to a Recorder; in production, use
	// NewTwilioSender and NewSMTPSender, and a shared Store.
	outbox := &verificationtest.Recorder{}
	svc, err := verification.New(verification.Config{
		Store:    verification.NewMemoryStore(), // or a store/postgres or store/redis store
		SMS:      outbox,
		HashKeys: [][]byte{bytes.Repeat([]byte("k"), 32)}, // load from your secret store
	})
	if err != nil {
		panic(err)
	}

	n, err := phone.Parse("1", "9172113333", "US")
	if err != nil {
		panic(err)
	}
	st, err := svc.Start(ctx, verification.StartRequest{Channel: verification.ChannelSMS, Phone: &n})
	if err != nil {
		panic(err)
	}

	// The user types the code they received.
	m, _ := outbox.Last(n.E164)
	code := m.Code
	cred, err := svc.Check(ctx, st.ID, code)
	if err != nil {
		panic(err)
	}
	fmt.Println(cred.Format, cred.PhoneCountryCode, cred.PhoneNumber, cred.IsoCountryCode, cred.PublicIdentifier)

	_, err = svc.Check(ctx, st.ID, code)
	fmt.Println(err)
	// Output:
	// phoneNumber 1 9172113333 US +19172113333
	// verification: already used
}
