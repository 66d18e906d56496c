package phone_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/authkit/authkit/phone"
)

func TestMasked(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"+19172113333", "+1 *** *** 3333"},
		{"+447400123456", "+44 *** *** 3456"},
		{"+4930123456", "+49 *** *** 3456"},
		{"+6837012", "+683 *** *** 12"},
		{"+80012345678", "+800 *** *** 5678"},
	} {
		n := mustE164(t, tc.in)
		if got := n.Masked(); got != tc.want {
			t.Errorf("Masked(%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := (phone.Number{}).Masked(); got != "" {
		t.Errorf("zero Masked() = %q", got)
	}
}

func TestNumberNeverPrintsInFull(t *testing.T) {
	n := mustE164(t, "+19172113333")
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	logger.Info("sent", "to", n)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("sent", "to", n)
	fmt.Fprintf(&buf, "%v %s %+v %#v %q\n", n, n, n, n, n)
	fmt.Fprintln(&buf, n, &n)
	out := buf.String()
	if strings.Contains(out, "9172113333") || strings.Count(out, "+1 *** *** 3333") < 9 {
		t.Fatalf("output reveals the number or lacks the mask:\n%s", out)
	}
}

func TestNumberType(t *testing.T) {
	for typ := phone.Unknown; typ <= phone.Voicemail; typ++ {
		name := typ.String()
		back, err := phone.ParseNumberType(name)
		if err != nil || back != typ {
			t.Errorf("ParseNumberType(%q) = %v, %v; want %v", name, back, err, typ)
		}
	}
	if got := phone.NumberType(42).String(); got != "NumberType(42)" {
		t.Errorf("String(42) = %q", got)
	}
	if _, err := phone.ParseNumberType("landline"); !errors.Is(err, phone.ErrInvalidInput) {
		t.Errorf("ParseNumberType(landline) = %v", err)
	}
	b, err := json.Marshal(phone.Policy{AllowedTypes: []phone.NumberType{phone.Mobile, phone.FixedLineOrMobile}})
	if err != nil || !strings.Contains(string(b), `["mobile","fixed_line_or_mobile"]`) {
		t.Fatalf("json.Marshal = %s, %v", b, err)
	}
	var p phone.Policy
	if err := json.Unmarshal([]byte(`{"AllowedTypes":["voip","pager"]}`), &p); err != nil || len(p.AllowedTypes) != 2 || p.AllowedTypes[1] != phone.Pager {
		t.Fatalf("json.Unmarshal = %+v, %v", p, err)
	}
	if err := json.Unmarshal([]byte(`{"AllowedTypes":["cell"]}`), &p); !errors.Is(err, phone.ErrInvalidInput) {
		t.Fatalf("json.Unmarshal(cell) = %v", err)
	}
	if _, err := phone.NumberType(-1).MarshalText(); !errors.Is(err, phone.ErrInvalidInput) {
		t.Fatalf("MarshalText(-1) = %v", err)
	}
}
