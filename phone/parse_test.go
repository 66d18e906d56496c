package phone_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/authkit/authkit/phone"
)

// fieldsOf is a Number's exported fields, what the parser is tested on.
type fieldsOf struct {
	E164, CallingCode, NationalNumber, Region string
	Type                                      phone.NumberType
}

func exported(n phone.Number) fieldsOf {
	return fieldsOf{n.E164, n.CallingCode, n.NationalNumber, n.Region, n.Type}
}

func TestParseValid(t *testing.T) {
	for _, tc := range []struct {
		cc, national, iso string
		want              fieldsOf
	}{
		{"1", "9172113333", "US", fieldsOf{"+19172113333", "1", "9172113333", "US", phone.FixedLineOrMobile}},
		{"+1", "917-211-3333", "us", fieldsOf{"+19172113333", "1", "9172113333", "US", phone.FixedLineOrMobile}},
		{"1", "٩١٧٢١١٣٣٣٣", "US", fieldsOf{"+19172113333", "1", "9172113333", "US", phone.FixedLineOrMobile}},
		{"1", "９１７-２１１-３３３３", "US", fieldsOf{"+19172113333", "1", "9172113333", "US", phone.FixedLineOrMobile}},
		{"1", "917 211 3333", "Us", fieldsOf{"+19172113333", "1", "9172113333", "US", phone.FixedLineOrMobile}},
		{"1", "8002345678", "US", fieldsOf{"+18002345678", "1", "8002345678", "US", phone.TollFree}},
		{"1", "9002345678", "US", fieldsOf{"+19002345678", "1", "9002345678", "US", phone.PremiumRate}},
		{"1", "5062345678", "CA", fieldsOf{"+15062345678", "1", "5062345678", "CA", phone.FixedLineOrMobile}},
		{"44", "07400 123456", "GB", fieldsOf{"+447400123456", "44", "7400123456", "GB", phone.Mobile}},
		{"44", "7400123456", "GB", fieldsOf{"+447400123456", "44", "7400123456", "GB", phone.Mobile}},
		{"44", "01212345678", "GB", fieldsOf{"+441212345678", "44", "1212345678", "GB", phone.FixedLine}},
		{"44", "7797712345", "JE", fieldsOf{"+447797712345", "44", "7797712345", "JE", phone.Mobile}},
		{"49", "01512 3456789", "DE", fieldsOf{"+4915123456789", "49", "15123456789", "DE", phone.Mobile}},
		{"49", "18012345", "DE", fieldsOf{"+4918012345", "49", "18012345", "DE", phone.SharedCost}},
		{"33", "06 12 34 56 78", "FR", fieldsOf{"+33612345678", "33", "612345678", "FR", phone.Mobile}},
		{"33", "912345678", "FR", fieldsOf{"+33912345678", "33", "912345678", "FR", phone.VoIP}},
		{"39", "0212345678", "IT", fieldsOf{"+390212345678", "39", "0212345678", "IT", phone.FixedLine}},
		{"39", "3123456789", "IT", fieldsOf{"+393123456789", "39", "3123456789", "IT", phone.Mobile}},
		{"81", "090-1234-5678", "JP", fieldsOf{"+819012345678", "81", "9012345678", "JP", phone.Mobile}},
		{"81", "2012345678", "JP", fieldsOf{"+812012345678", "81", "2012345678", "JP", phone.Pager}},
		{"55", "11961234567", "BR", fieldsOf{"+5511961234567", "55", "11961234567", "BR", phone.Mobile}},
		{"7", "9123456789", "RU", fieldsOf{"+79123456789", "7", "9123456789", "RU", phone.Mobile}},
		{"7", "7710009998", "KZ", fieldsOf{"+77710009998", "7", "7710009998", "KZ", phone.Mobile}},
		{"683", "7012", "NU", fieldsOf{"+6837012", "683", "7012", "NU", phone.FixedLine}},
		{"61", "1300123456", "AU", fieldsOf{"+611300123456", "61", "1300123456", "AU", phone.SharedCost}},
		{"44", "7012345678", "GB", fieldsOf{"+447012345678", "44", "7012345678", "GB", phone.PersonalNumber}},
		{"44", "5512345678", "GB", fieldsOf{"+445512345678", "44", "5512345678", "GB", phone.UAN}},
		{"49", "177991234567", "DE", fieldsOf{"+49177991234567", "49", "177991234567", "DE", phone.Voicemail}},
	} {
		got, err := phone.Parse(tc.cc, tc.national, tc.iso)
		if err != nil || exported(got) != tc.want {
			t.Errorf("Parse(%q, %q, %q) = %#v (%s), %v; want %#v", tc.cc, tc.national, tc.iso, got, got.E164, err, tc.want)
			continue
		}
		again, err := phone.ParseE164(got.E164)
		if err != nil || again != got {
			t.Errorf("ParseE164(%q) = %#v, %v; want %#v", got.E164, again, err, got)
		}
	}
}

func TestParseErrors(t *testing.T) {
	long := strings.Repeat("1", phone.MaxInputLen+1)
	for _, tc := range []struct {
		name, cc, national, iso string
		want                    error
	}{
		{"seed example, exchange starts with 1", "1", "9171113333", "US", phone.ErrInvalidNumber},
		{"too short", "1", "917211333", "US", phone.ErrInvalidNumber},
		{"too long", "1", "91721133333", "US", phone.ErrInvalidNumber},
		{"US number claimed for CA", "1", "9172113333", "CA", phone.ErrInvalidNumber},
		{"GB number claimed for JE", "44", "7400123456", "JE", phone.ErrInvalidNumber},
		{"letters", "1", "1800FLOWERS", "US", phone.ErrInvalidNumber},
		{"Devanagari digits", "1", "९१७२११३३३३", "US", phone.ErrInvalidNumber},
		{"international prefix", "1", "011447400123456", "US", phone.ErrInvalidNumber},
		{"plus inside national", "1", "+447400123456", "US", phone.ErrInvalidNumber},
		{"extension", "1", "9172113333#12", "US", phone.ErrInvalidInput},
		{"separators only", "1", "- - -", "US", phone.ErrInvalidNumber},
		{"unknown region", "1", "9172113333", "ZZ", phone.ErrUnknownRegion},
		{"unknown region with digit", "1", "9172113333", "XX1", phone.ErrUnknownRegion},
		{"region mismatch", "44", "9172113333", "US", phone.ErrRegionMismatch},
		{"region mismatch reversed", "1", "7400123456", "GB", phone.ErrRegionMismatch},
		{"calling code letters", "one", "9172113333", "US", phone.ErrInvalidInput},
		{"calling code too long", "1234", "9172113333", "US", phone.ErrInvalidInput},
		{"calling code leading zero", "01", "9172113333", "US", phone.ErrInvalidInput},
		{"empty calling code", "", "9172113333", "US", phone.ErrInvalidInput},
		{"empty number", "1", "", "US", phone.ErrInvalidInput},
		{"empty region", "1", "9172113333", "", phone.ErrInvalidInput},
		{"region too long", "1", "9172113333", "USAAA", phone.ErrInvalidInput},
		{"region one letter", "1", "9172113333", "U", phone.ErrInvalidInput},
		{"region digits", "1", "9172113333", "001", phone.ErrInvalidInput},
		{"region inner digit", "1", "9172113333", "U1S", phone.ErrInvalidInput},
		{"leading space", "1", " 9172113333", "US", phone.ErrInvalidInput},
		{"trailing space", "1", "9172113333 ", "US", phone.ErrInvalidInput},
		{"parentheses", "1", "(917) 211-3333", "US", phone.ErrInvalidInput},
		{"tab", "1", "917\t2113333", "US", phone.ErrInvalidInput},
		{"newline", "1", "9172113333\n", "US", phone.ErrInvalidInput},
		{"invalid UTF-8", "1", "917\xff2113333", "US", phone.ErrInvalidInput},
		{"over 255 characters", "1", long, "US", phone.ErrInvalidInput},
		{"over 255 in calling code", long, "9172113333", "US", phone.ErrInvalidInput},
		{"over 255 in region", "1", "9172113333", long, phone.ErrInvalidInput},
		{"255 digits", "1", long[1:], "US", phone.ErrInvalidNumber},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := phone.Parse(tc.cc, tc.national, tc.iso)
			if !errors.Is(err, tc.want) || !n.IsZero() {
				t.Fatalf("Parse = %#v, %v; want %v", n, err, tc.want)
			}
			if strings.Contains(err.Error(), "9172113333") || strings.Contains(err.Error(), "7400123456") {
				t.Fatalf("error %q repeats the number", err)
			}
		})
	}
}

func TestParseE164Errors(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want error
	}{
		{"", phone.ErrInvalidNumber},
		{"+", phone.ErrInvalidNumber},
		{"19172113333", phone.ErrInvalidNumber},
		{"+1 917 211 3333", phone.ErrInvalidNumber},
		{"+1-917-211-3333", phone.ErrInvalidNumber},
		{"++19172113333", phone.ErrInvalidNumber},
		{"+019172113333", phone.ErrInvalidNumber},
		{"+19171113333", phone.ErrInvalidNumber},
		{"+1917211333", phone.ErrInvalidNumber},
		{"+4407400123456", phone.ErrInvalidNumber},
		{"+123456789012345678901", phone.ErrInvalidNumber},
		{"+9992113333", phone.ErrUnknownRegion},
		{"+2812345678", phone.ErrUnknownRegion},
		{"+" + strings.Repeat("1", phone.MaxInputLen), phone.ErrInvalidInput},
	} {
		n, err := phone.ParseE164(tc.in)
		if !errors.Is(err, tc.want) || !n.IsZero() {
			t.Errorf("ParseE164(%q) = %#v, %v; want %v", tc.in, n, err, tc.want)
		}
	}
}

func TestParseE164NonGeographic(t *testing.T) {
	n, err := phone.ParseE164("+80012345678")
	if err != nil {
		t.Fatal(err)
	}
	if n.Region != "001" || n.Type != phone.TollFree || n.CallingCode != "800" {
		t.Fatalf("got %#v", n)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range [][3]string{
		{"1", "9172113333", "US"}, {"1", "9171113333", "US"}, {"44", "07400 123456", "GB"},
		{"+1", "917-211-3333", "us"}, {"1", "011447400123456", "US"}, {"683", "7012", "NU"},
		{"39", "0212345678", "IT"}, {"7", "7710009998", "KZ"}, {"1", "(917) 211-3333", "US"},
		{"", "", ""}, {"1", "9172113333", "ZZ"}, {"44", "9172113333", "US"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, cc, national, iso string) {
		n, err := phone.Parse(cc, national, iso)
		checkResult(t, n, err)
		if err == nil {
			// E.164 does not name the region: a number valid in two regions
			// of one calling code (+7 800… in RU and KZ) comes back with the
			// region libphonenumber picks. Otherwise it must round-trip.
			again, err := phone.ParseE164(n.E164)
			if err != nil || again.E164 != n.E164 || (again.Region == n.Region && again != n) {
				t.Fatalf("Parse(%q, %q, %q) = %#v but ParseE164(%q) = %#v, %v", cc, national, iso, n, n.E164, again, err)
			}
		}
	})
}

func FuzzParseE164(f *testing.F) {
	for _, s := range []string{"+19172113333", "+19171113333", "+447400123456", "+80012345678", "+390212345678",
		"+6837012", "+9992113333", "+4407400123456", "19172113333", "+", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := phone.ParseE164(s)
		checkResult(t, n, err)
		if err == nil && n.E164 != s {
			t.Fatalf("ParseE164(%q).E164 = %q", s, n.E164)
		}
	})
}

// checkResult asserts the invariants of any parse result.
func checkResult(t *testing.T, n phone.Number, err error) {
	t.Helper()
	if err != nil {
		if !n.IsZero() {
			t.Fatalf("error %v with a non-zero Number", err)
		}
		for _, sentinel := range []error{phone.ErrInvalidInput, phone.ErrUnknownRegion, phone.ErrRegionMismatch, phone.ErrInvalidNumber} {
			if errors.Is(err, sentinel) {
				return
			}
		}
		t.Fatalf("error %v wraps no phone sentinel", err)
	}
	if n.E164 != "+"+n.CallingCode+n.NationalNumber || n.Region == "" || n.Type == phone.Unknown {
		t.Fatalf("inconsistent Number %#v (%s)", n, n.E164)
	}
	if m := n.Masked(); strings.Contains(m, n.NationalNumber) || !strings.HasPrefix(m, "+"+n.CallingCode+" *** *** ") {
		t.Fatalf("Masked() = %q reveals or misformats %#v", m, n)
	}
}
