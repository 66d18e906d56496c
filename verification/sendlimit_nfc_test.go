package verification_test

import (
	"context"
	"errors"
	"testing"

	"github.com/authkit/authkit/verification"
)

// The local part in its decomposed (NFD) or otherwise non-NFC spelling is
// the same mailbox to a mail system that normalizes (RFC 6532 §3.1 asks for
// NFC): it must share the send history of the composed spelling. IDNA
// already normalizes the domain.
func TestSendLimitsOneMailboxUnicodeNormalization(t *testing.T) {
	tests := []struct{ first, again string }{
		{"josé@example.com", "jose\u0301@example.com"},                  // NFD é
		{"jose\u0301@example.com", "josé@example.com"},                  // and back
		{"ångström@example.com", "a\u030angstro\u0308m@example.com"},    // two marks
		{"nguy\u1ec7n@example.com", "nguye\u0302\u0323n@example.com"},   // marks out of canonical order
		{"nguy\u1ec7n@example.com", "nguye\u0323\u0302n+x@example.com"}, // with a sub-address
		{"josé@gmail.com", "j.o.s.e\u0301@gmail.com"},                   // with Gmail's dots
		{"josé@exämple.de", "jose\u0301@exa\u0308mple.de"},              // both parts
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
}
