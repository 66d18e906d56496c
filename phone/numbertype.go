package phone

import (
	"fmt"

	"github.com/nyaruka/phonenumbers"
)

// NumberType is the kind of line a number belongs to, per libphonenumber's
// metadata. The zero value is Unknown.
type NumberType int

// Number types. In some regions (the US among them) mobile and fixed-line
// numbers share ranges and cannot be told apart: they are FixedLineOrMobile.
const (
	Unknown NumberType = iota
	Mobile
	FixedLine
	FixedLineOrMobile
	TollFree
	PremiumRate
	SharedCost
	VoIP
	PersonalNumber
	Pager
	UAN
	Voicemail
)

var typeNames = [...]string{
	Unknown:           "unknown",
	Mobile:            "mobile",
	FixedLine:         "fixed_line",
	FixedLineOrMobile: "fixed_line_or_mobile",
	TollFree:          "toll_free",
	PremiumRate:       "premium_rate",
	SharedCost:        "shared_cost",
	VoIP:              "voip",
	PersonalNumber:    "personal_number",
	Pager:             "pager",
	UAN:               "uan",
	Voicemail:         "voicemail",
}

// String returns the type's snake_case name, such as "fixed_line_or_mobile".
func (t NumberType) String() string {
	if t < 0 || int(t) >= len(typeNames) {
		return fmt.Sprintf("NumberType(%d)", int(t))
	}
	return typeNames[t]
}

// MarshalText implements encoding.TextMarshaler with the String form.
func (t NumberType) MarshalText() ([]byte, error) {
	if t < 0 || int(t) >= len(typeNames) {
		return nil, fmt.Errorf("%w: number type %d", ErrInvalidInput, int(t))
	}
	return []byte(typeNames[t]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler; see [ParseNumberType].
func (t *NumberType) UnmarshalText(b []byte) error {
	v, err := ParseNumberType(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// ParseNumberType returns the type named s (the String form, such as
// "mobile" or "fixed_line_or_mobile"), for configuration and flags. Any
// other name is ErrInvalidInput.
func ParseNumberType(s string) (NumberType, error) {
	for i, name := range typeNames {
		if s == name {
			return NumberType(i), nil
		}
	}
	return Unknown, fmt.Errorf("%w: unknown number type %q", ErrInvalidInput, s)
}

// fromLib maps libphonenumber's type (whose zero value is FIXED_LINE) onto ours.
func fromLib(t phonenumbers.PhoneNumberType) NumberType {
	switch t {
	case phonenumbers.MOBILE:
		return Mobile
	case phonenumbers.FIXED_LINE:
		return FixedLine
	case phonenumbers.FIXED_LINE_OR_MOBILE:
		return FixedLineOrMobile
	case phonenumbers.TOLL_FREE:
		return TollFree
	case phonenumbers.PREMIUM_RATE:
		return PremiumRate
	case phonenumbers.SHARED_COST:
		return SharedCost
	case phonenumbers.VOIP:
		return VoIP
	case phonenumbers.PERSONAL_NUMBER:
		return PersonalNumber
	case phonenumbers.PAGER:
		return Pager
	case phonenumbers.UAN:
		return UAN
	case phonenumbers.VOICEMAIL:
		return Voicemail
	}
	return Unknown
}
