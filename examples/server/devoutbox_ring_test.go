package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/authkit/authkit/verification"
)

// The outbox keeps the last max messages in order, per destination and
// overall, across many wrap-arounds of its ring: checked against a plain
// slice model.
func TestDevOutboxRing(t *testing.T) {
	for _, max := range []int{1, 2, 5, 17} {
		t.Run(fmt.Sprint("max=", max), func(t *testing.T) {
			d := newDevOutbox(nil, true, max, nil)
			rng := rand.New(rand.NewPCG(1, uint64(max)))
			var model []outboxMessage
			dests := []string{"+19172113333", "+19172114444", "a@example.com", "b@example.com"}
			codes := func(ms []outboxMessage) []string {
				var out []string
				for _, m := range ms {
					out = append(out, m.Code)
				}
				return out
			}
			for i := range 400 {
				m := verification.Message{Channel: verification.ChannelSMS, To: dests[rng.IntN(len(dests))], Code: fmt.Sprintf("%06d", i)}
				if err := d.Send(context.Background(), m); err != nil {
					t.Fatal(err)
				}
				model = append(model, outboxMessage{Channel: m.Channel, To: m.To, Code: m.Code})
				if len(model) > max {
					model = model[1:]
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
