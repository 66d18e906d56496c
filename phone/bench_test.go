package phone_test

import (
	"math"
	"testing"
	"time"

	"github.com/authkit/authkit/phone"
	"github.com/nyaruka/phonenumbers"
)

// warmUp pays libphonenumber's one-time costs (the first validation compiles
// regular expressions, ~1 ms) outside the timed loop.
func warmUp(b *testing.B) {
	b.Helper()
	if _, err := phone.Parse("1", "9172113333", "US"); err != nil {
		b.Fatal(err)
	}
	if _, err := phone.Parse("44", "7400123456", "GB"); err != nil {
		b.Fatal(err)
	}
}

var sinkNumber phone.Number
var sinkString string

// BenchmarkParse: the API's three-part input to a validated, typed Number.
func BenchmarkParse(b *testing.B) {
	warmUp(b)
	b.ReportAllocs()
	for b.Loop() {
		n, err := phone.Parse("1", "9172113333", "US")
		if err != nil {
			b.Fatal(err)
		}
		sinkNumber = n
	}
}

// BenchmarkParseGB: a region whose calling code has several regions and a trunk prefix.
func BenchmarkParseGB(b *testing.B) {
	warmUp(b)
	b.ReportAllocs()
	for b.Loop() {
		n, err := phone.Parse("44", "07400 123456", "GB")
		if err != nil {
			b.Fatal(err)
		}
		sinkNumber = n
	}
}

// BenchmarkParseE164: a stored canonical number back to a Number.
func BenchmarkParseE164(b *testing.B) {
	warmUp(b)
	b.ReportAllocs()
	for b.Loop() {
		n, err := phone.ParseE164("+19172113333")
		if err != nil {
			b.Fatal(err)
		}
		sinkNumber = n
	}
}

// BenchmarkRawParseFormat is the floor named in the issue: phonenumbers.Parse
// then Format(E164), with no validation at all.
func BenchmarkRawParseFormat(b *testing.B) {
	warmUp(b)
	b.ReportAllocs()
	for b.Loop() {
		num, err := phonenumbers.Parse("9172113333", "US")
		if err != nil {
			b.Fatal(err)
		}
		sinkString = phonenumbers.Format(num, phonenumbers.E164)
	}
}

// BenchmarkRawParseValidateFormat is the floor for what Parse must do:
// Parse, IsValidNumberForRegion, GetNumberType, Format(E164).
func BenchmarkRawParseValidateFormat(b *testing.B) {
	warmUp(b)
	b.ReportAllocs()
	for b.Loop() {
		num, err := phonenumbers.Parse("9172113333", "US")
		if err != nil || !phonenumbers.IsValidNumberForRegion(num, "US") {
			b.Fatal(err)
		}
		if phonenumbers.GetNumberType(num) == phonenumbers.UNKNOWN {
			b.Fatal("unknown type")
		}
		sinkString = phonenumbers.Format(num, phonenumbers.E164)
	}
}

// BenchmarkPolicyCheck: the default SMS policy on a parsed number.
func BenchmarkPolicyCheck(b *testing.B) {
	warmUp(b)
	n, _ := phone.Parse("1", "9172113333", "US")
	var p phone.Policy
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Check(n); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseVsRaw interleaves batches of Parse, raw Parse+Format and raw
// Parse+validate+type+Format in one loop, so that load from other processes
// hits all three alike, and reports each one's ns/op (the fastest batch, the
// least disturbed) and the ratios. Useful on a shared, noisy machine.
func BenchmarkParseVsRaw(b *testing.B) {
	warmUp(b)
	const batch = 50
	fns := []func(){
		func() { sinkNumber, _ = phone.Parse("1", "9172113333", "US") },
		func() {
			num, _ := phonenumbers.Parse("9172113333", "US")
			sinkString = phonenumbers.Format(num, phonenumbers.E164)
		},
		func() {
			num, _ := phonenumbers.Parse("9172113333", "US")
			if phonenumbers.IsValidNumberForRegion(num, "US") && phonenumbers.GetNumberType(num) != phonenumbers.UNKNOWN {
				sinkString = phonenumbers.Format(num, phonenumbers.E164)
			}
		},
	}
	best := []float64{math.MaxFloat64, math.MaxFloat64, math.MaxFloat64}
	for b.Loop() {
		for i, f := range fns {
			start := time.Now()
			for range batch {
				f()
			}
			best[i] = min(best[i], float64(time.Since(start).Nanoseconds())/batch)
		}
	}
	b.ReportMetric(best[0], "parse-ns")
	b.ReportMetric(best[1], "raw-ns")
	b.ReportMetric(best[2], "rawvalid-ns")
	b.ReportMetric(best[0]/best[1], "x-raw")
	b.ReportMetric(best[0]/best[2], "x-rawvalid")
}
