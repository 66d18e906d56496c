package phone

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// Errors returned by [Parse] and [ParseE164], each wrapped with a reason.
// The reasons never contain the number itself.
var (
	// ErrInvalidInput: a part is empty, longer than 255 characters, or
	// contains characters outside the API's name-style set.
	ErrInvalidInput = errors.New("phone: invalid input")
	// ErrUnknownRegion: the ISO region code (or, for E.164 input, the
	// calling code) is not one libphonenumber knows.
	ErrUnknownRegion = errors.New("phone: unknown region")
	// ErrRegionMismatch: the calling code is not the region's
	// ("44" with "US").
	ErrRegionMismatch = errors.New("phone: calling code does not belong to the region")
	// ErrInvalidNumber: the number is not valid for its region.
	ErrInvalidNumber = errors.New("phone: invalid number")
)

// MaxInputLen is the longest accepted input part, in characters, as in the
// API's request schema.
const MaxInputLen = 255

// Parse validates the three-part input of the API: countryCode is the
// calling code without "+" ("1"; a leading "+" is tolerated), nationalNumber
// the number as dialled inside the region ("9172113333"; spaces, dots,
// slashes and hyphens are ignored, Arabic-Indic and full-width digits are
// read as digits, and a trunk prefix such as the UK's "0" is removed), and
// isoCountryCode the ISO 3166-1 alpha-2 region ("US", case-insensitive).
//
// The number must be valid for that region (libphonenumber's
// IsValidNumberForRegion), not merely possible. Errors: ErrInvalidInput,
// ErrUnknownRegion, ErrRegionMismatch, ErrInvalidNumber.
func Parse(countryCode, nationalNumber, isoCountryCode string) (Number, error) {
	for _, part := range [...]struct{ name, value string }{
		{"phoneCountryCode", countryCode},
		{"phoneNumber", nationalNumber},
		{"isoCountryCode", isoCountryCode},
	} {
		if err := checkNameStyle(part.value); err != nil {
			return Number{}, fmt.Errorf("%w: %s %v", ErrInvalidInput, part.name, err)
		}
	}
	region, err := parseRegion(isoCountryCode)
	if err != nil {
		return Number{}, err
	}
	cc, err := parseCallingCode(countryCode)
	if err != nil {
		return Number{}, err
	}
	regionCC := phonenumbers.GetCountryCodeForRegion(region)
	if cc != regionCC {
		return Number{}, fmt.Errorf("%w: %d is not the calling code of %s (%d)", ErrRegionMismatch, cc, region, regionCC)
	}
	digits, ok := nationalDigits(nationalNumber)
	if !ok {
		return Number{}, fmt.Errorf("%w: phoneNumber must be digits, optionally separated by spaces, '.', '/' or '-'", ErrInvalidNumber)
	}
	num := new(phonenumbers.PhoneNumber)
	if err := phonenumbers.ParseToNumber(digits, region, num); err != nil {
		return Number{}, fmt.Errorf("%w: %v", ErrInvalidNumber, err)
	}
	// The library strips an international prefix ("011 44…" in the US)
	// and then reads another country's calling code; that is not a
	// national number of this region.
	if int(num.GetCountryCode()) != cc {
		return Number{}, fmt.Errorf("%w: not a national number of %s", ErrInvalidNumber, region)
	}
	return build(num, region)
}

// ParseE164 validates a number in E.164 form: "+", then the calling code
// and national significant number, digits only ("+19172113333"). The
// region is the one libphonenumber assigns the number to, and the number
// must be valid for it. Where regions share a calling code and a range (+7
// 800… is toll-free in both RU and KZ), that is the first matching region,
// so a Number from [Parse] is best passed on as is rather than re-parsed
// from its E164. Errors: ErrInvalidInput, ErrUnknownRegion,
// ErrInvalidNumber.
func ParseE164(s string) (Number, error) {
	if len(s) > MaxInputLen {
		return Number{}, fmt.Errorf("%w: longer than %d characters", ErrInvalidInput, MaxInputLen)
	}
	// E.164 allows 15 digits; libphonenumber knows valid numbers with up to
	// 17 national digits, so allow up to 3+17.
	if len(s) < 3 || len(s) > 21 || s[0] != '+' || s[1] == '0' || !allDigits(s[1:]) {
		return Number{}, fmt.Errorf("%w: want + followed by 2 to 20 digits, not starting with 0", ErrInvalidNumber)
	}
	num := new(phonenumbers.PhoneNumber)
	if err := phonenumbers.ParseToNumber(s, "", num); err != nil {
		if errors.Is(err, phonenumbers.ErrInvalidCountryCode) {
			return Number{}, fmt.Errorf("%w: no region has this calling code", ErrUnknownRegion)
		}
		return Number{}, fmt.Errorf("%w: %v", ErrInvalidNumber, err)
	}
	region := phonenumbers.GetRegionCodeForNumber(num)
	if region == "" {
		// A known calling code, but the number matches none of its regions.
		return Number{}, fmt.Errorf("%w: not valid for any region of +%d", ErrInvalidNumber, num.GetCountryCode())
	}
	n, err := build(num, region)
	if err != nil {
		return Number{}, err
	}
	if n.E164 != s {
		// For example a national trunk prefix written after the calling code.
		return Number{}, fmt.Errorf("%w: not in canonical E.164 form", ErrInvalidNumber)
	}
	return n, nil
}

// build checks validity for region and fills a Number.
func build(num *phonenumbers.PhoneNumber, region string) (Number, error) {
	nsn, valid, typ := classify(num, region)
	if !valid {
		return Number{}, fmt.Errorf("%w: not valid for %s", ErrInvalidNumber, region)
	}
	ccs := strconv.Itoa(int(num.GetCountryCode()))
	n := Number{
		E164:           "+" + ccs + nsn,
		CallingCode:    ccs,
		NationalNumber: nsn,
		Region:         region,
		Type:           fromLib(typ),
	}
	n.parsed = n.exported()
	return n, nil
}

// parseRegion checks the API's isoCountryCode rule (^[a-zA-Z]{2,4}\d?$,
// at most 4 characters) and that libphonenumber knows the region.
func parseRegion(s string) (string, error) {
	n := len(s)
	if n > 0 && s[n-1] >= '0' && s[n-1] <= '9' {
		n--
	}
	ok := len(s) >= 2 && len(s) <= 4 && n >= 2
	for i := 0; ok && i < n; i++ {
		c := s[i] | 0x20 // ASCII lower case
		ok = c >= 'a' && c <= 'z'
	}
	if !ok {
		return "", fmt.Errorf("%w: isoCountryCode must be 2 to 4 letters", ErrInvalidInput)
	}
	region := strings.ToUpper(s)
	if !phonenumbers.GetSupportedRegions()[region] {
		return "", fmt.Errorf("%w: %q", ErrUnknownRegion, region)
	}
	return region, nil
}

// parseCallingCode reads 1 to 3 digits, optionally after a "+".
func parseCallingCode(s string) (int, error) {
	s = strings.TrimPrefix(s, "+")
	if len(s) < 1 || len(s) > 3 || !allDigits(s) || s[0] == '0' {
		return 0, fmt.Errorf("%w: phoneCountryCode must be 1 to 3 digits", ErrInvalidInput)
	}
	cc, _ := strconv.Atoi(s)
	return cc, nil
}

// nationalDigits removes the separators people type and reports whether
// only digits remain. Arabic-Indic and full-width digits become ASCII ones,
// as libphonenumber reads them. Anything else (letters, "+", "*", "#") is
// refused, so that vanity letters, extensions and international prefixes
// are not interpreted behind the caller's back.
func nationalDigits(s string) (string, bool) {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '/':
		case unicode.IsDigit(r):
			d := phonenumbers.NormalizeDigitsOnly(string(r))
			if len(d) != 1 || d[0] < '0' || d[0] > '9' {
				return "", false
			}
			b.WriteString(d)
		default:
			return "", false
		}
	}
	if b.Len() == 0 || b.Len() > 20 {
		return "", false
	}
	return b.String(), true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// checkNameStyle applies the API's rule for name-style strings
// (^(?=\S)[\p{L}\p{N}a-zA-Z _.,:!?&%@\/+\-'|]+(?<=\S)$, at most 255
// characters), written without look-around: non-empty, no leading or
// trailing space, and every rune a letter, a digit or one of
// " _.,:!?&%@/+-'|".
func checkNameStyle(s string) error {
	if s == "" {
		return errors.New("is empty")
	}
	if len(s) > MaxInputLen*utf8.UTFMax || utf8.RuneCountInString(s) > MaxInputLen {
		return fmt.Errorf("is longer than %d characters", MaxInputLen)
	}
	if s[0] == ' ' || s[len(s)-1] == ' ' {
		return errors.New("has leading or trailing space")
	}
	for _, r := range s {
		if r == utf8.RuneError || !(unicode.IsLetter(r) || unicode.IsNumber(r) || strings.ContainsRune(" _.,:!?&%@/+-'|", r)) {
			return errors.New("contains a character outside letters, digits and \" _.,:!?&%@/+-'|\"")
		}
	}
	return nil
}
