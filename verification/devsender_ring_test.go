package verification_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/authkit/authkit/verification"
)

// The outbox keeps the last MaxMessages messages in order, per
// destination and overall, across many wrap-arounds of its ring: checked
// against a plain slice model.
func TestDevSenderOutboxRing(t *testing.T) {
	for _, max := range []int{1, 2, 5, 17} {
		t.Run(fmt.Sprint("max=", max), func(t *testing.T) {
			d := verification.NewDevSender(verification.DevSenderConfig{MaxMessages: max})
			rng := rand.New(rand.NewPCG(1, uint64(max)))
			var model []verification.OutboxMessage
			dests := []string{"+19172113333", "+19172114444", "a@example.com", "b@example.com"}
			for i := range 400 {
				m := verification.Message{Channel: verification.ChannelSMS, To: dests[rng.IntN(len(dests))], Code: fmt.Sprintf("%06d", i)}
				if err := d.Send(context.Background(), m); err != nil {
					t.Fatal(err)
				}
				model = append(model, verification.OutboxMessage{Channel: m.Channel, To: m.To, Code: m.Code})
				if len(model) > max {
					model = model[1:]
				}
				codes := func(ms []verification.OutboxMessage) []string {
					var out []string
					for _, m := range ms {
						out = append(out, m.Code)
					}
					return out
				}
				if got, want := codes(d.Messages("")), codes(model); !slices.Equal(got, want) {
					t.Fatalf("after %d: all = %v, want %v", i, got, want)
				}
				for _, to := range dests {
					var want []string
					for _, m := range model {
						if m.To == to {
							want = append(want, m.Code)
						}
					}
					if got := codes(d.Messages(to)); !slices.Equal(got, want) {
						t.Fatalf("after %d: %s = %v, want %v", i, to, got, want)
					}
				}
			}
		})
	}
}
