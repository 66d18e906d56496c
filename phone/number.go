package phone

import (
	"fmt"
	"log/slog"
)

// Number is a validated phone number. Obtain one from [Parse] or
// [ParseE164]; the zero value is not a number.
//
// String, GoString and LogValue all return the masked form, so printing or
// logging a Number never reveals it; read E164 explicitly where the full
// number is needed (sending, storage).
type Number struct {
	// E164 is the canonical form: "+" then the calling code and the
	// national significant number, digits only ("+19172113333").
	E164 string
	// CallingCode is the country calling code without "+" ("1", "44").
	CallingCode string
	// NationalNumber is the national significant number, without trunk
	// prefix or formatting ("9172113333").
	NationalNumber string
	// Region is the ISO 3166-1 alpha-2 region ("US"), or "001" for a
	// non-geographic number such as +800.
	Region string
	// Type is the kind of line, per libphonenumber's metadata.
	Type NumberType

	// parsed is what the parser filled in, set only by Parse and
	// ParseE164. A Number whose exported fields still equal it came from
	// the parser unchanged, so [Revalidate] can trust it without parsing
	// again; a hand-built or edited Number does not match and is re-parsed.
	parsed fields
}

// fields are a Number's exported fields.
type fields struct {
	e164, callingCode, nationalNumber, region string
	typ                                       NumberType
}

// exported returns n's exported fields.
func (n Number) exported() fields {
	return fields{n.E164, n.CallingCode, n.NationalNumber, n.Region, n.Type}
}

// Revalidate returns n unchanged when it came from [Parse] or [ParseE164]
// and has not been modified since, and otherwise parses n.E164 again with
// [ParseE164]. A consumer that takes a Number from its caller and applies
// a [Policy] to its Type calls Revalidate first, so that a Number built or
// edited by hand cannot carry a false Type past the policy, while a
// parsed one is not parsed twice.
func Revalidate(n Number) (Number, error) {
	if n.parsed.e164 != "" && n.parsed == n.exported() {
		return n, nil
	}
	return ParseE164(n.E164)
}

// Masked returns a form safe for logs and screens: the calling code and only
// the last four digits ("+1 *** *** 3333"). The hidden part always has the
// same shape, so the mask does not reveal the number's length; numbers of
// fewer than eight digits show only half of their digits.
func (n Number) Masked() string {
	if n.NationalNumber == "" {
		return ""
	}
	show := min(4, len(n.NationalNumber)/2)
	return "+" + n.CallingCode + " *** *** " + n.NationalNumber[len(n.NationalNumber)-show:]
}

// String returns [Number.Masked], so that accidental printing is safe.
func (n Number) String() string { return n.Masked() }

// GoString returns a masked representation for %#v.
func (n Number) GoString() string {
	return fmt.Sprintf("phone.Number{%q, %s, %s}", n.Masked(), n.Region, n.Type)
}

// LogValue implements slog.LogValuer with the masked form, so that even a
// JSON log handler does not print the fields.
func (n Number) LogValue() slog.Value { return slog.StringValue(n.Masked()) }

// IsZero reports whether n is the zero Number (no number).
func (n Number) IsZero() bool { return n.exported() == fields{} }
