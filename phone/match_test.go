package phone

import (
	"strconv"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// libraryClassify is what classify replaces: libphonenumber's own calls.
func libraryClassify(num *phonenumbers.PhoneNumber, region string) (string, bool, phonenumbers.PhoneNumberType) {
	return phonenumbers.GetNationalSignificantNumber(num), phonenumbers.IsValidNumberForRegion(num, region), phonenumbers.GetNumberType(num)
}

// checkClassify fails t when classify and the library disagree on s, for
// the given regions, the first and last regions of its calling code, and
// regions it cannot belong to.
func checkClassify(t *testing.T, s string, regions ...string) {
	t.Helper()
	num := new(phonenumbers.PhoneNumber)
	if err := phonenumbers.ParseToNumber(s, "ZZ", num); err != nil {
		return
	}
	regions = append(regions, "001", "ZZ", "")
	if rs := phonenumbers.GetRegionCodesForCountryCode(int(num.GetCountryCode())); len(rs) > 0 {
		regions = append(regions, rs[0], rs[len(rs)-1])
	}
	for _, region := range regions {
		nsn, valid, typ := classify(num, region)
		wnsn, wvalid, wtyp := libraryClassify(num, region)
		if nsn != wnsn || valid != wvalid || typ != wtyp {
			t.Errorf("%s for %q: classify = %q, %v, %v; library = %q, %v, %v", s, region, nsn, valid, typ, wnsn, wvalid, wtyp)
		}
	}
}

// TestClassifyMatchesLibrary: for every metadata entry (every region and
// non-geographic entity), every number type's example number and
// near-misses of it (a digit more, a digit fewer, the last digit
// changed, a leading zero), checked against regions of its calling code
// (the entry's own, the code's first and last) and others, classify
// agrees with IsValidNumberForRegion, GetNumberType and
// GetNationalSignificantNumber.
func TestClassifyMatchesLibrary(t *testing.T) {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, md := range coll.GetMetadata() {
		cc := strconv.Itoa(int(md.GetCountryCode()))
		for _, d := range []*phonenumbers.PhoneNumberDesc{
			md.GetGeneralDesc(), md.GetFixedLine(), md.GetMobile(), md.GetTollFree(), md.GetPremiumRate(), md.GetSharedCost(),
			md.GetPersonalNumber(), md.GetVoip(), md.GetPager(), md.GetUan(), md.GetVoicemail(),
		} {
			ex := d.GetExampleNumber()
			if ex == "" {
				continue
			}
			bump := func(c byte) byte { return '0' + (c-'0'+1)%10 }
			for _, v := range []string{
				ex, ex + "0", ex[:len(ex)-1], ex[:len(ex)-1] + string(bump(ex[len(ex)-1])), "0" + ex,
			} {
				checkClassify(t, "+"+cc+v, md.GetId())
				checked++
			}
		}
		if t.Failed() {
			return
		}
	}
	if checked < 1000 {
		t.Fatalf("only %d numbers checked", checked)
	}
}

// FuzzClassifyMatchesLibrary: classify agrees with the library on any
// number the library parses.
func FuzzClassifyMatchesLibrary(f *testing.F) {
	for _, s := range []string{"+19172113333", "+12423570000", "+447400123456", "+77012345678", "+78001234567", "+390212345678", "+80012345678", "+882123456789"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 32 {
			return
		}
		checkClassify(t, s, "US", "CA", "KZ", "RU", "GB", "IT")
	})
}

// BenchmarkClassify: classify against the library calls it replaces, for
// a number of a shared calling code (+1).
func BenchmarkClassify(b *testing.B) {
	num := new(phonenumbers.PhoneNumber)
	if err := phonenumbers.ParseToNumber("+19172113333", "", num); err != nil {
		b.Fatal(err)
	}
	b.Run("ours", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			classify(num, "US")
		}
	})
	b.Run("library", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			libraryClassify(num, "US")
		}
	})
}
