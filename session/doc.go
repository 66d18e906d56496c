// Package session mints and verifies JWT sessions: keys and JWKS, session
// records with revocation and refresh, MFA-pending and elevated-access
// tokens, and HTTP middleware.
package session
