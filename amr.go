package authkit

// Authentication method references (RFC 8176 §2): how a user proved who
// they are, the amr claim of a session or elevated-access token. mfa and
// passkey produce them; session records them (session.Manager.UpgradeMFA)
// and a step-up policy reads them.
const (
	// AMRMultiFactor ("mfa") marks a session that proved a second factor;
	// session.Manager.UpgradeMFA always adds it, and
	// session.Claims.FreshMFA looks for it.
	AMRMultiFactor = "mfa"
	// AMROneTimePassword ("otp"): a TOTP code.
	AMROneTimePassword = "otp"
	// AMRKnowledge ("kba"): a recovery code, a secret the user saved.
	AMRKnowledge = "kba"
	// AMRHardwareKey ("hwk"): a passkey or security key.
	AMRHardwareKey = "hwk"
)
