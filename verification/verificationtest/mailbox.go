package verificationtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/authkit/authkit/verification"
)

// mailboxSpellings returns 30 spellings of local@gmail.com that mail
// systems deliver to one inbox: invisible characters that IDNA drops from
// the domain (the attack of a send budget per spelling), Unicode forms of
// the domain, case, sub-addresses and Gmail's dots.
func mailboxSpellings(local string) []string {
	up := strings.ToUpper(local)
	dotted := local[:1] + "." + local[1:]
	return []string{
		local + "@gmail.com",
		local + "@g\u00admail.com", // SOFT HYPHEN
		local + "@g\u200bmail.com", // ZERO WIDTH SPACE
		local + "@gm\u2060ail.com", // WORD JOINER
		local + "@gma\u200cil.com", // ZERO WIDTH NON-JOINER
		local + "@gmai\u200dl.com", // ZERO WIDTH JOINER
		local + "@gmail\ufe0f.com", // VARIATION SELECTOR-16
		local + "@g\u034fmail.com", // COMBINING GRAPHEME JOINER
		local + "@\ufeffgmail.com", // ZERO WIDTH NO-BREAK SPACE
		local + "@gmail.c\u00adom", // in the top-level label
		local + "@g\u180email.com", // MONGOLIAN VOWEL SEPARATOR
		local + "@g\u2064mail.com", // INVISIBLE PLUS
		local + "\u00ad@gmail.com", // in the local part
		local + "@ｇｍａｉｌ.com",       // full-width letters
		local + "@gmail。com",       // ideographic full stop
		local + "@gmail．com",       // full-width full stop
		local + "@gmail｡com",       // half-width ideographic full stop
		local + "@GMAIL.COM",
		up + "@Gmail.Com",
		up + "@ＧＭＡＩＬ.ＣＯＭ",
		local + "@googlemail.com",
		local + "+1@gmail.com",
		local + "+2@gmail.com",
		local + "+flood@googlemail.com",
		dotted + "@gmail.com",
		dotted + "+3@ｇｍａｉｌ.com",
		"<" + local + "@gmail.com>",
		`"` + local + `"@gmail.com`,
		local + "@gmail.com(x)",
		local + "@gmail.com.",
	}
}

// testMailboxFlood is the send-bombing attack on one inbox: 30 spellings
// of one Gmail address, started at once, reach the mailbox once. Every
// other request is refused, by the mailbox's send limit (the spellings
// share one history in the store) or as an invalid address, and sends
// nothing.
func testMailboxFlood(t *testing.T, s verification.Store) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	local := "bomb" + hex.EncodeToString(b[:])
	rec := &Recorder{}
	svc, err := verification.New(verification.Config{Store: s, Email: rec, HashKeys: [][]byte{bytes.Repeat([]byte{7}, 32)},
		Now: func() time.Time { return base }})
	if err != nil {
		t.Fatal(err)
	}
	spellings := mailboxSpellings(local)
	if len(spellings) != 30 {
		t.Fatalf("%d spellings, want 30", len(spellings))
	}
	for _, to := range spellings {
		_, err := svc.Start(context.Background(), verification.StartRequest{Channel: verification.ChannelEmail, Email: to})
		if err != nil && !errors.Is(err, verification.ErrRateLimited) && !errors.Is(err, verification.ErrInvalidDestination) {
			t.Fatalf("Start(%q) = %v; want success, ErrRateLimited or ErrInvalidDestination", to, err)
		}
	}
	msgs := rec.Messages()
	if len(msgs) != 1 {
		to := make([]string, len(msgs))
		for i, m := range msgs {
			to[i] = m.To
		}
		t.Fatalf("30 spellings of one mailbox got %d codes sent (%q), want 1", len(msgs), to)
	}
	if msgs[0].To != local+"@gmail.com" {
		t.Fatalf("sent to %q, want the canonical %s@gmail.com", msgs[0].To, local)
	}
}
