package verification_test

import (
	"bytes"
	"context"
	"fmt"

	"github.com/authkit/authkit/phone"
	"github.com/authkit/authkit/verification"
)

func Example() {
	ctx := context.Background()
	// In development, codes go to an outbox; in production, use
	// NewTwilioSender and NewSMTPSender, and a shared Store.
	outbox := verification.NewDevSender(verification.DevSenderConfig{})
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
	code := outbox.Messages(n.E164)[0].Code
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
