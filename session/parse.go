package session

// ParseSession checks a session token's signature, kind, issuer, audience
// and times, without consulting the Store: no revocation or generation
// check, no touch. It is for a decision that must come before a stateful
// call such as Refresh (e.g. that the request proves the device the
// token's device_public_key names), which then checks the rest.
func (m *Manager) ParseSession(token string) (*Claims, error) {
	return m.parse(token, KindSession)
}
