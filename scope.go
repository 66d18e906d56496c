package authkit

import "strings"

// Scope is one entry of a token's space-separated scope claim.
type Scope string

// Session scopes. A session token must carry ScopeUserBasic to be fully
// authenticated; a sign-in that still awaits MFA carries
// ScopeRequiresAdditionalAuth instead.
const (
	ScopeUserBasic              Scope = "user:basic"
	ScopeRequiresAdditionalAuth Scope = "requiresAdditionalAuth"
)

// The 18 token scopes an elevated access token may carry (Dynamic's TokenScope).
const (
	ScopeConsoleAdminActionReview      Scope = "console:admin_action:review"
	ScopeConsoleApprovalWorkflowUpdate Scope = "console:approval_workflow:update"
	ScopeConsoleMemberInvite           Scope = "console:member:invite"
	ScopeConsoleMFAReset               Scope = "console:mfa:reset"
	ScopeConsoleProjectDelete          Scope = "console:project:delete"
	ScopeConsoleSettingsUpdate         Scope = "console:settings:update"
	ScopeConsoleSSOUpdate              Scope = "console:sso:update"
	ScopeConsoleUserDelete             Scope = "console:user:delete"
	ScopeCredentialLink                Scope = "credential:link"
	ScopeCredentialUpdate              Scope = "credential:update"
	ScopeCredentialUnlink              Scope = "credential:unlink"
	ScopeUserUpdate                    Scope = "user:update"
	ScopeUserDelete                    Scope = "user:delete"
	ScopeWalletExport                  Scope = "wallet:export"
	ScopeWalletDelete                  Scope = "wallet:delete"
	ScopeWalletDelegate                Scope = "wallet:delegate"
	ScopeWalletSign                    Scope = "wallet:sign"
	ScopeWalletRestore                 Scope = "wallet:restore"
)

// TokenScopes returns the 18 scopes an elevated access token may carry.
func TokenScopes() []Scope {
	return []Scope{
		ScopeConsoleAdminActionReview, ScopeConsoleApprovalWorkflowUpdate,
		ScopeConsoleMemberInvite, ScopeConsoleMFAReset, ScopeConsoleProjectDelete,
		ScopeConsoleSettingsUpdate, ScopeConsoleSSOUpdate, ScopeConsoleUserDelete,
		ScopeCredentialLink, ScopeCredentialUpdate, ScopeCredentialUnlink,
		ScopeUserUpdate, ScopeUserDelete, ScopeWalletExport, ScopeWalletDelete,
		ScopeWalletDelegate, ScopeWalletSign, ScopeWalletRestore,
	}
}

// IsTokenScope reports whether s may be requested for an elevated access token.
func (s Scope) IsTokenScope() bool {
	for _, t := range TokenScopes() {
		if s == t {
			return true
		}
	}
	return false
}

// IsStepUpScope reports whether s is a token scope that the public step-up
// check accepts (the token scopes not starting with "console:").
func (s Scope) IsStepUpScope() bool {
	return s.IsTokenScope() && !strings.HasPrefix(string(s), "console:")
}

// Scopes is a list of scopes, encoded in a JWT as one space-separated string.
type Scopes []Scope

// ParseScopes splits a space-separated scope claim. Repeated spaces are ignored.
func ParseScopes(s string) Scopes {
	f := strings.Fields(s)
	out := make(Scopes, len(f))
	for i, x := range f {
		out[i] = Scope(x)
	}
	return out
}

// String joins the scopes with single spaces.
func (ss Scopes) String() string {
	var b strings.Builder
	for i, s := range ss {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(string(s))
	}
	return b.String()
}

// Has reports whether s is in the list.
func (ss Scopes) Has(s Scope) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
