package phone

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// ErrNotAllowed is returned (wrapped with the reason) by [Policy.Check] for
// a valid number the policy refuses to send SMS to.
var ErrNotAllowed = errors.New("phone: number not allowed")

// defaultAllowedTypes are the number types a zero [Policy] allows: the
// ones that can receive SMS and are not billed to the sender's detriment.
var defaultAllowedTypes = [...]NumberType{Mobile, FixedLineOrMobile}

// neverAllowed are refused whatever the policy lists: premium-rate and
// shared-cost ranges are how SMS pumping earns money, and an unknown type
// means the metadata cannot vouch for the number.
var neverAllowed = [...]NumberType{PremiumRate, SharedCost, Unknown}

// Policy decides which valid numbers may receive SMS. The zero Policy
// allows every region and only Mobile and FixedLineOrMobile numbers.
// Region codes are ISO 3166-1 alpha-2 ("US"), compared case-insensitively;
// "001" stands for non-geographic numbers. verification.Config.PhonePolicy
// applies one before every SMS it sends.
type Policy struct {
	// AllowedRegions, if not empty, is the complete list of regions that
	// may receive SMS (Twilio's "geo permissions"). Empty means all.
	AllowedRegions []string
	// DeniedRegions are refused even if also allowed.
	DeniedRegions []string
	// AllowedTypes lists the number types that may receive SMS. Empty
	// means Mobile and FixedLineOrMobile. PremiumRate, SharedCost and
	// Unknown are refused even if listed.
	AllowedTypes []NumberType
}

// Check returns nil if n may receive SMS under p, and otherwise an error
// wrapping [ErrNotAllowed] that names the region or type (never the
// number). A zero Number yields [ErrInvalidNumber].
func (p Policy) Check(n Number) error {
	if n.E164 == "" || n.Region == "" {
		return fmt.Errorf("%w: no number", ErrInvalidNumber)
	}
	if containsFold(p.DeniedRegions, n.Region) {
		return fmt.Errorf("%w: region %s is denied", ErrNotAllowed, n.Region)
	}
	if len(p.AllowedRegions) > 0 && !containsFold(p.AllowedRegions, n.Region) {
		return fmt.Errorf("%w: region %s is not allowed", ErrNotAllowed, n.Region)
	}
	if slices.Contains(neverAllowed[:], n.Type) {
		return fmt.Errorf("%w: %s numbers are never allowed", ErrNotAllowed, n.Type)
	}
	allowed := p.AllowedTypes
	if len(allowed) == 0 {
		allowed = defaultAllowedTypes[:]
	}
	if !slices.Contains(allowed, n.Type) {
		return fmt.Errorf("%w: %s numbers are not allowed", ErrNotAllowed, n.Type)
	}
	return nil
}

// Validate reports configuration mistakes: region codes libphonenumber does
// not know, a region both allowed and denied, types out of range or never
// allowed, joined (errors.Join) as ErrUnknownRegion and ErrInvalidInput
// errors. Hosts should call it at start-up (verification.New does for
// Config.PhonePolicy); Check works regardless.
func (p Policy) Validate() error {
	var errs []error
	for _, list := range [...][]string{p.AllowedRegions, p.DeniedRegions} {
		for _, r := range list {
			if up := strings.ToUpper(r); up != phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY && !phonenumbers.GetSupportedRegions()[up] {
				errs = append(errs, fmt.Errorf("%w: %q", ErrUnknownRegion, r))
			}
		}
	}
	for _, r := range p.DeniedRegions {
		if containsFold(p.AllowedRegions, r) {
			errs = append(errs, fmt.Errorf("%w: region %q is both allowed and denied", ErrInvalidInput, r))
		}
	}
	for _, t := range p.AllowedTypes {
		if t < 0 || int(t) >= len(typeNames) {
			errs = append(errs, fmt.Errorf("%w: number type %d", ErrInvalidInput, int(t)))
		} else if slices.Contains(neverAllowed[:], t) {
			errs = append(errs, fmt.Errorf("%w: %s numbers can never be allowed", ErrInvalidInput, t))
		}
	}
	return errors.Join(errs...)
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
