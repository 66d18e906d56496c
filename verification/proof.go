package verification

import "github.com/authkit/authkit"

// Proof is what a successful [Service.Prove] establishes: the credential
// the code proved and whether its destination is known to be in
// canonical form. Only this package makes a Proof, from a record whose
// destination it validated when the verification was started (phone.Parse
// or phone.ParseE164 for a number, [NormalizeEmail] for an address), so a
// consumer can key the credential without parsing it again. The zero
// Proof holds no credential and is not canonical.
type Proof struct {
	cred      authkit.VerifiedCredential
	canonical bool
}

// Credential returns the proven credential, as [Service.Check] does.
func (p Proof) Credential() authkit.VerifiedCredential { return p.cred }

// Canonical reports whether the credential's fields are exactly those the
// validation at Start produced: for SMS, the E.164 destination
// (PublicIdentifier) is "+" then PhoneCountryCode then PhoneNumber, all
// digits, with a region; for email, the normalized address. A consumer
// re-validates a credential that is not canonical (for example from a
// record stored before the phone parts were kept).
func (p Proof) Canonical() bool { return p.canonical }

// canonicalRecord reports whether rec's destination fields are consistent
// with what Start stores for a validated destination. It does not
// validate: Start did. It only refuses records whose parts do not fit
// together, which the consumer then parses as before.
func canonicalRecord(rec Record) bool {
	switch rec.Channel {
	case ChannelSMS:
		cc, nat, d := rec.PhoneCountryCode, rec.PhoneNational, rec.Destination
		return rec.PhoneRegion != "" && cc != "" && nat != "" && len(d) == 1+len(cc)+len(nat) &&
			d[0] == '+' && d[1:1+len(cc)] == cc && d[1+len(cc):] == nat && digitsOnly(d[1:])
	case ChannelEmail:
		return rec.Destination != ""
	}
	return false
}

func digitsOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
