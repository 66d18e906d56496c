package verificationtest_test

import (
	"bytes"
	"context"
	"fmt"

	"github.com/authkit/authkit/verification"
	"github.com/authkit/authkit/verification/verificationtest"
)

func ExampleRecorder() {
	rec := &verificationtest.Recorder{}
	svc, err := verification.New(verification.Config{Store: verification.NewMemoryStore(), Email: rec, HashKeys: [][]byte{bytes.Repeat([]byte{7}, 32)}})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	st, _ := svc.Start(ctx, verification.StartRequest{Channel: verification.ChannelEmail, Email: "Jane@Example.com"})
	m, _ := rec.Last("jane@example.com")
	cred, err := svc.Check(ctx, st.ID, m.Code)
	fmt.Println(rec.Len(), m.MaskedTo, cred.Email, err)
	// Output: 1 j***@example.com jane@example.com <nil>
}
