package phone_test

import (
	"errors"
	"testing"

	"github.com/authkit/authkit/phone"
)

func mustParse(t testing.TB, cc, national, iso string) phone.Number {
	t.Helper()
	n, err := phone.Parse(cc, national, iso)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRevalidate(t *testing.T) {
	premium := mustParse(t, "1", "9005550100", "US")
	edited := premium
	edited.Type = phone.Mobile
	movedNumber := premium
	movedNumber.E164 = "+447400123456" // fields no longer agree with the proof
	kz := mustParse(t, "7", "8001234567", "KZ")
	fromE164, err := phone.ParseE164("+447400123456")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		in      phone.Number
		want    fieldsOf
		err     error
		trusted bool // returned without a parse
	}{
		{"from Parse", premium, exported(premium), nil, true},
		{"from ParseE164", fromE164, exported(fromE164), nil, true},
		{"Parse keeps its region", kz, exported(kz), nil, true},
		{"edited Type", edited, exported(premium), nil, false},
		{"edited E164", movedNumber, fieldsOf{"+447400123456", "44", "7400123456", "GB", phone.Mobile}, nil, false},
		{"hand-built, false Type", phone.Number{E164: "+19005550100", CallingCode: "1", NationalNumber: "9005550100", Region: "US", Type: phone.Mobile}, exported(premium), nil, false},
		{"hand-built, E164 only", phone.Number{E164: "+19005550100"}, exported(premium), nil, false},
		{"hand-built, invalid", phone.Number{E164: "+1900", Type: phone.Mobile}, fieldsOf{}, phone.ErrInvalidNumber, false},
		{"zero", phone.Number{}, fieldsOf{}, phone.ErrInvalidNumber, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := phone.Revalidate(tc.in)
			if tc.err != nil {
				if !errors.Is(err, tc.err) || !got.IsZero() {
					t.Fatalf("Revalidate = %#v, %v; want %v", got, err, tc.err)
				}
				return
			}
			if err != nil || exported(got) != tc.want {
				t.Fatalf("Revalidate = %#v, %v; want %+v", got, err, tc.want)
			}
			// A trusted Number costs nothing; any other is parsed, which
			// allocates. Counting allocations tells the two apart.
			allocs := testing.AllocsPerRun(10, func() { _, _ = phone.Revalidate(tc.in) })
			if trusted := allocs == 0; trusted != tc.trusted {
				t.Fatalf("%v allocs per Revalidate: trusted = %v, want %v", allocs, trusted, tc.trusted)
			}
			// What Revalidate returns is itself trusted.
			if again := testing.AllocsPerRun(10, func() { _, _ = phone.Revalidate(got) }); again != 0 {
				t.Fatalf("re-validating the result: %v allocs, want 0", again)
			}
		})
	}
}

func BenchmarkRevalidate(b *testing.B) {
	parsed := mustParse(b, "1", "9172113333", "US")
	handBuilt := phone.Number{E164: parsed.E164, CallingCode: parsed.CallingCode, NationalNumber: parsed.NationalNumber, Region: parsed.Region, Type: parsed.Type}
	for _, bc := range []struct {
		name string
		n    phone.Number
	}{{"Parsed", parsed}, {"HandBuilt", handBuilt}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := phone.Revalidate(bc.n); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
