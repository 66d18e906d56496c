package phone_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/authkit/authkit/phone"
)

func mustE164(t *testing.T, s string) phone.Number {
	t.Helper()
	n, err := phone.ParseE164(s)
	if err != nil {
		t.Fatalf("ParseE164(%q): %v", s, err)
	}
	return n
}

func TestPolicyCheck(t *testing.T) {
	us := mustE164(t, "+19172113333")         // fixed_line_or_mobile
	gbMobile := mustE164(t, "+447400123456")  // mobile
	gbFixed := mustE164(t, "+441212345678")   // fixed_line
	usPremium := mustE164(t, "+19002345678")  // premium_rate
	deShared := mustE164(t, "+4918012345")    // shared_cost
	usTollFree := mustE164(t, "+18002345678") // toll_free
	frVoIP := mustE164(t, "+33912345678")     // voip
	nonGeo := mustE164(t, "+80012345678")     // 001, toll_free

	for _, tc := range []struct {
		name   string
		policy phone.Policy
		n      phone.Number
		want   error
		reason string
	}{
		{"default allows fixed-or-mobile", phone.Policy{}, us, nil, ""},
		{"default allows mobile", phone.Policy{}, gbMobile, nil, ""},
		{"default refuses fixed line", phone.Policy{}, gbFixed, phone.ErrNotAllowed, "fixed_line numbers are not allowed"},
		{"default refuses premium", phone.Policy{}, usPremium, phone.ErrNotAllowed, "premium_rate numbers are never allowed"},
		{"default refuses shared cost", phone.Policy{}, deShared, phone.ErrNotAllowed, "shared_cost numbers are never allowed"},
		{"default refuses toll free", phone.Policy{}, usTollFree, phone.ErrNotAllowed, "toll_free"},
		{"default refuses voip", phone.Policy{}, frVoIP, phone.ErrNotAllowed, "voip"},
		{"default refuses non-geographic toll free", phone.Policy{}, nonGeo, phone.ErrNotAllowed, "toll_free"},
		{"premium refused even if listed", phone.Policy{AllowedTypes: []phone.NumberType{phone.PremiumRate}}, usPremium, phone.ErrNotAllowed, "never"},
		{"shared cost refused even if listed", phone.Policy{AllowedTypes: []phone.NumberType{phone.SharedCost}}, deShared, phone.ErrNotAllowed, "never"},
		{"unknown refused even if listed", phone.Policy{AllowedTypes: []phone.NumberType{phone.Unknown}}, phone.Number{E164: "+1", Region: "US"}, phone.ErrNotAllowed, "never"},
		{"listed fixed line allowed", phone.Policy{AllowedTypes: []phone.NumberType{phone.FixedLine, phone.Mobile}}, gbFixed, nil, ""},
		{"listed types replace the default", phone.Policy{AllowedTypes: []phone.NumberType{phone.FixedLine}}, gbMobile, phone.ErrNotAllowed, "mobile numbers are not allowed"},
		{"allowed regions", phone.Policy{AllowedRegions: []string{"gb", "FR"}}, gbMobile, nil, ""},
		{"region not allowed", phone.Policy{AllowedRegions: []string{"GB"}}, us, phone.ErrNotAllowed, "region US is not allowed"},
		{"region denied", phone.Policy{DeniedRegions: []string{"us"}}, us, phone.ErrNotAllowed, "region US is denied"},
		{"deny wins over allow", phone.Policy{AllowedRegions: []string{"US"}, DeniedRegions: []string{"US"}}, us, phone.ErrNotAllowed, "denied"},
		{"zero number", phone.Policy{}, phone.Number{}, phone.ErrInvalidNumber, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.policy.Check(tc.n)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("Check(%s) = %v, want %v", tc.n, err, tc.want)
			}
			if err != nil && !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("Check(%s) = %q, want the reason %q", tc.n, err, tc.reason)
			}
		})
	}
}

func TestPolicyValidate(t *testing.T) {
	good := phone.Policy{AllowedRegions: []string{"US", "gb", "001"}, DeniedRegions: []string{"RU"}, AllowedTypes: []phone.NumberType{phone.Mobile, phone.FixedLine}}
	if err := good.Validate(); err != nil {
		t.Fatalf("Validate(good) = %v", err)
	}
	if err := (phone.Policy{}).Validate(); err != nil {
		t.Fatalf("Validate(zero) = %v", err)
	}
	for _, tc := range []struct {
		name   string
		policy phone.Policy
		want   error
	}{
		{"unknown allowed region", phone.Policy{AllowedRegions: []string{"ZZ"}}, phone.ErrUnknownRegion},
		{"unknown denied region", phone.Policy{DeniedRegions: []string{"XX"}}, phone.ErrUnknownRegion},
		{"allowed and denied", phone.Policy{AllowedRegions: []string{"US"}, DeniedRegions: []string{"us"}}, phone.ErrInvalidInput},
		{"premium listed", phone.Policy{AllowedTypes: []phone.NumberType{phone.PremiumRate}}, phone.ErrInvalidInput},
		{"type out of range", phone.Policy{AllowedTypes: []phone.NumberType{99}}, phone.ErrInvalidInput},
	} {
		if err := tc.policy.Validate(); !errors.Is(err, tc.want) {
			t.Errorf("%s: Validate = %v, want %v", tc.name, err, tc.want)
		}
	}
}
