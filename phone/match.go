package phone

import (
	"regexp"
	"slices"
	"strconv"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// The number-type and validity checks of libphonenumber, on its own
// metadata, without its per-call cost. Its GetNumberType and
// IsValidNumberForRegion build "^(?:" + pattern + ")$" and look it up in a
// locked cache for every pattern they try (about 20 allocations per
// check), and a number of a shared calling code (+1, +7) is checked three
// times per parse. Here each region's patterns are compiled once, on the
// region's first use, and one check serves both validity and type. The
// logic is libphonenumber's (getNumberTypeHelper, isNumberMatchingDesc,
// getRegionCodeForNumberFromRegionList, GetNationalSignificantNumber);
// TestClassifyMatchesLibrary and FuzzClassifyMatchesLibrary hold it to
// the library's answers.

// regionMatcher is one metadata entry's patterns, compiled on first use.
type regionMatcher struct {
	md   *phonenumbers.PhoneMetadata
	once sync.Once
	// descs in getNumberTypeHelper's order: general, premium rate, toll
	// free, shared cost, VoIP, personal, pager, UAN, voicemail, fixed
	// line, mobile.
	descs   [11]descMatcher
	leading *regexp.Regexp // nil when the entry has no leading digits
}

// descMatcher is one PhoneNumberDesc: its possible lengths and its
// national number pattern anchored at both ends.
type descMatcher struct {
	lengths []int32
	re      *regexp.Regexp
}

const (
	descGeneral = iota
	descPremium
	descTollFree
	descSharedCost
	descVoIP
	descPersonal
	descPager
	descUAN
	descVoicemail
	descFixed
	descMobile
)

// matchers are every metadata entry's regionMatcher: geographic regions by
// ISO code, non-geographic entities ("001") by calling code. The table is
// derived once from the library's immutable embedded metadata; only each
// entry's compiled patterns are filled in later, once.
type matchers struct {
	byRegion map[string]*regionMatcher
	nonGeo   map[int]*regionMatcher
}

var metadataMatchers = sync.OnceValue(func() *matchers {
	m := &matchers{byRegion: map[string]*regionMatcher{}, nonGeo: map[int]*regionMatcher{}}
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return m // the library panics at init on unreadable metadata: not reached
	}
	supported := phonenumbers.GetSupportedRegions()
	for _, md := range coll.GetMetadata() {
		if id := md.GetId(); id == "001" {
			m.nonGeo[int(md.GetCountryCode())] = &regionMatcher{md: md}
		} else if supported[id] {
			m.byRegion[id] = &regionMatcher{md: md}
		}
	}
	return m
})

// forRegion is libphonenumber's getMetadataForRegionOrCallingCode: nil for
// an unknown region.
func (m *matchers) forRegion(cc int, region string) *regionMatcher {
	if region == "001" {
		return m.nonGeo[cc]
	}
	return m.byRegion[region]
}

// compiled returns r with its patterns compiled.
func (r *regionMatcher) compiled() *regionMatcher {
	r.once.Do(func() {
		md := r.md
		for i, d := range [...]*phonenumbers.PhoneNumberDesc{
			md.GetGeneralDesc(), md.GetPremiumRate(), md.GetTollFree(), md.GetSharedCost(), md.GetVoip(),
			md.GetPersonalNumber(), md.GetPager(), md.GetUan(), md.GetVoicemail(), md.GetFixedLine(), md.GetMobile(),
		} {
			r.descs[i] = descMatcher{lengths: d.GetPossibleLength(), re: regexp.MustCompile("^(?:" + d.GetNationalNumberPattern() + ")$")}
		}
		if ld := md.GetLeadingDigits(); ld != "" {
			r.leading = regexp.MustCompile("^(?:" + ld + ")")
		}
	})
	return r
}

// matches is isNumberMatchingDesc: a possible length (when the desc lists
// any) and the pattern.
func (d *descMatcher) matches(nsn string) bool {
	if len(d.lengths) > 0 && !slices.Contains(d.lengths, int32(len(nsn))) {
		return false
	}
	return d.re.MatchString(nsn)
}

// numberType is getNumberTypeHelper.
func (r *regionMatcher) numberType(nsn string) phonenumbers.PhoneNumberType {
	r = r.compiled()
	d := &r.descs
	if !d[descGeneral].matches(nsn) {
		return phonenumbers.UNKNOWN
	}
	for _, c := range [...]struct {
		i int
		t phonenumbers.PhoneNumberType
	}{
		{descPremium, phonenumbers.PREMIUM_RATE}, {descTollFree, phonenumbers.TOLL_FREE},
		{descSharedCost, phonenumbers.SHARED_COST}, {descVoIP, phonenumbers.VOIP},
		{descPersonal, phonenumbers.PERSONAL_NUMBER}, {descPager, phonenumbers.PAGER},
		{descUAN, phonenumbers.UAN}, {descVoicemail, phonenumbers.VOICEMAIL},
	} {
		if d[c.i].matches(nsn) {
			return c.t
		}
	}
	same := r.md.GetSameMobileAndFixedLinePattern()
	if d[descFixed].matches(nsn) {
		if same || d[descMobile].matches(nsn) {
			return phonenumbers.FIXED_LINE_OR_MOBILE
		}
		return phonenumbers.FIXED_LINE
	}
	if !same && d[descMobile].matches(nsn) {
		return phonenumbers.MOBILE
	}
	return phonenumbers.UNKNOWN
}

// regionOf is GetRegionCodeForNumber: the only region of the calling
// code, or the first of its regions whose leading digits match (when it
// lists them) or for which the number is valid; "" for none.
func (m *matchers) regionOf(cc int, nsn string) string {
	regions := phonenumbers.GetRegionCodesForCountryCode(cc)
	switch len(regions) {
	case 0:
		return ""
	case 1:
		return regions[0]
	}
	for _, region := range regions {
		r := m.byRegion[region]
		if r == nil {
			continue // the library would dereference nil metadata here
		}
		r = r.compiled()
		if r.leading != nil {
			if r.leading.MatchString(nsn) {
				return region
			}
		} else if r.numberType(nsn) != phonenumbers.UNKNOWN {
			return region
		}
	}
	return ""
}

// nationalSignificant is GetNationalSignificantNumber.
func nationalSignificant(num *phonenumbers.PhoneNumber) string {
	s := strconv.FormatUint(num.GetNationalNumber(), 10)
	if num.GetItalianLeadingZero() && num.GetNumberOfLeadingZeros() > 0 {
		z := min(int(num.GetNumberOfLeadingZeros()), phonenumbers.MAX_LENGTH_FOR_NSN)
		zeros := make([]byte, z, z+len(s))
		for i := range zeros {
			zeros[i] = '0'
		}
		s = string(append(zeros, s...))
	}
	return s
}

// classify returns, for a parsed number and the region it is to be
// valid for, its national significant number, whether it is valid for
// region (IsValidNumberForRegion) and its type (GetNumberType, which reads
// the metadata of the region the number belongs to: usually region
// itself, when one check serves both).
func classify(num *phonenumbers.PhoneNumber, region string) (nsn string, valid bool, typ phonenumbers.PhoneNumberType) {
	m := metadataMatchers()
	cc := int(num.GetCountryCode())
	nsn = nationalSignificant(num)
	owner := m.regionOf(cc, nsn)
	typ = phonenumbers.UNKNOWN
	if o := m.forRegion(cc, owner); o != nil {
		typ = o.numberType(nsn)
	}
	if owner == region {
		// One check: the region's type is the number's.
		return nsn, typ != phonenumbers.UNKNOWN, typ
	}
	if r := m.forRegion(cc, region); r != nil && (region == "001" || cc == int(r.md.GetCountryCode())) {
		valid = r.numberType(nsn) != phonenumbers.UNKNOWN
	}
	return nsn, valid, typ
}
