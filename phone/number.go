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
func (n Number) IsZero() bool { return n == Number{} }
