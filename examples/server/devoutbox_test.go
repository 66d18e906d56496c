package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/authkit/authkit/verification"
)

func TestDevOutbox(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC)
	now := t0
	d := newDevOutbox(nil, false, 3, func() time.Time { return now })
	const usNumber = "+19172113333"
	ctx := context.Background()
	send := func(ch verification.Channel, to, code string) {
		if err := d.Send(ctx, verification.Message{Channel: ch, To: to, Code: code}); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Second)
	}
	send(verification.ChannelSMS, usNumber, "111111")
	send(verification.ChannelEmail, "a@example.com", "222222")
	send(verification.ChannelSMS, usNumber, "333333")
	if got := d.Messages(usNumber); len(got) != 2 || got[0].Code != "111111" || got[1].Code != "333333" || !got[1].SentAt.Equal(t0.Add(2*time.Second)) {
		t.Fatalf("Messages(%s) = %+v", usNumber, got)
	}
	send(verification.ChannelSMS, usNumber, "444444") // drops the oldest
	all := d.Messages("")
	if len(all) != 3 || all[0].Code != "222222" || all[2].Code != "444444" {
		t.Fatalf("bounded outbox = %+v", all)
	}
	if got := d.Messages("nobody@example.com"); got == nil || len(got) != 0 {
		t.Fatalf("Messages(unknown) = %#v, want an empty list", got)
	}
	b, _ := json.Marshal(d.Messages("a@example.com"))
	want := `[{"channel":"email","to":"a@example.com","code":"222222","sentAt":"2026-11-22T18:00:01Z"}]`
	if string(b) != want {
		t.Fatalf("JSON = %s, want %s", b, want)
	}
}

func TestDevOutboxLogging(t *testing.T) {
	for _, dev := range []bool{false, true} {
		t.Run(fmt.Sprint("dev=", dev), func(t *testing.T) {
			var buf bytes.Buffer
			d := newDevOutbox(slog.New(slog.NewTextHandler(&buf, nil)), dev, 0, nil)
			ctx := context.Background()
			// As the Service sends them: MaskedTo is always set.
			_ = d.Send(ctx, verification.Message{Channel: verification.ChannelSMS, To: "+19172113333", Code: "987654", MaskedTo: "+1 *** *** 3333"})
			_ = d.Send(ctx, verification.Message{Channel: verification.ChannelEmail, To: "jane@example.com", Code: "987654", MaskedTo: "j***@example.com"})
			_ = d.Send(ctx, verification.Message{Channel: verification.ChannelSMS, To: "+447400123456", Code: "987654", MaskedTo: "+44 **** **3456"})
			out := buf.String()
			if strings.Count(out, "\n") != 3 {
				t.Fatalf("want one line per message:\n%s", out)
			}
			for _, full := range []string{"9172113333", "jane@", "7400123456"} {
				if strings.Contains(out, full) {
					t.Fatalf("log reveals %q:\n%s", full, out)
				}
			}
			for _, masked := range []string{"+1 *** *** 3333", "j***@example.com", "3456"} {
				if !strings.Contains(out, masked) {
					t.Fatalf("log lacks %q:\n%s", masked, out)
				}
			}
			if strings.Contains(out, "987654") != dev {
				t.Fatalf("code in log = %v, want %v:\n%s", !dev, dev, out)
			}
		})
	}
}
