package verification_test

import (
	"context"
	"errors"
	"testing"

	"github.com/authkit/authkit/verification"
)

// Spellings that a mail system delivers to the same mailbox must share one
// send history, or the per-destination limit stops no inbox flooding: each
// of these, right after a send to its mailbox, must be refused (rate
// limited or invalid) and send nothing.
func TestSendLimitsOneMailbox(t *testing.T) {
	tests := []struct{ first, again string }{
		{"victim@example.com", "Victim@EXAMPLE.com"},
		{"victim@example.com", "<victim@example.com>"},           // angle-addr
		{"victim@example.com", "victim@example.com(1)"},          // comment
		{"victim@example.com", `"victim"@example.com`},           // quoted local part
		{"victim@example.com", "victim+1@example.com"},           // sub-address (RFC 5233)
		{"victim@example.com", "victim+flood+2@example.com"},     //
		{"victim@example.com", "victim@ｅｘａｍｐｌｅ.com"},             // full-width letters (IDNA maps them)
		{"victim@example.com", "victim@example。com"},             // ideographic full stop
		{"victim@gmail.com", "v.i.c.t.i.m@gmail.com"},            // Gmail ignores dots
		{"victim@gmail.com", "victim@googlemail.com"},            // and googlemail is gmail
		{"victim.name@gmail.com", "victimname+x@googlemail.com"}, //
	}
	for _, tc := range tests {
		t.Run(tc.again, func(t *testing.T) {
			f := newFixture(t, nil)
			ctx := context.Background()
			if _, err := f.svc.Start(ctx, emailReq(tc.first)); err != nil {
				t.Fatalf("first start: %v", err)
			}
			_, err := f.svc.Start(ctx, emailReq(tc.again))
			if !errors.Is(err, verification.ErrRateLimited) && !errors.Is(err, verification.ErrInvalidDestination) {
				t.Fatalf("Start(%q) right after Start(%q) = %v; want ErrRateLimited or ErrInvalidDestination", tc.again, tc.first, err)
			}
			if f.sent.Len() != 1 {
				t.Fatalf("sent %d messages, want 1", f.sent.Len())
			}
		})
	}
	// Distinct mailboxes keep distinct histories.
	f := newFixture(t, nil)
	for _, to := range []string{"victim@example.com", "victim2@example.com", "v.ictim@example.com", "victim@example.org", "victim@gmail.com", "victim-1@gmail.com"} {
		if _, err := f.svc.Start(context.Background(), emailReq(to)); err != nil {
			t.Fatalf("Start(%q): %v", to, err)
		}
	}
}
