package oauth

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// idTokenLeeway is the clock skew tolerated on iat and nbf.
const idTokenLeeway = 60 * time.Second

// idTokenVerifier checks ID tokens per OpenID Connect Core §3.1.3.7.
// go-oidc checks the signature (against keys), iss, aud ∋ client_id, exp
// and nbf, and pins the accepted algorithms; this type adds what go-oidc
// leaves to its caller: nonce, azp, iat, and Microsoft's per-tenant issuer.
type idTokenVerifier struct {
	clientID string
	issuer   string // exact, or a template with {tenantid}
	template bool
	keys     *keySet
	verifier *oidc.IDTokenVerifier
	now      func() time.Time
}

func newIDTokenVerifier(clientID, issuer string, algs []string, keys *keySet, now func() time.Time) *idTokenVerifier {
	template := strings.Contains(issuer, "{tenantid}")
	if len(algs) == 0 {
		algs = []string{"RS256"}
	}
	v := oidc.NewVerifier(issuer, keys, &oidc.Config{
		ClientID:             clientID,
		SupportedSigningAlgs: algs,
		Now:                  now,
		// The template issuer is checked below against the token's tid.
		SkipIssuerCheck: template,
	})
	return &idTokenVerifier{clientID: clientID, issuer: issuer, template: template, keys: keys, verifier: v, now: now}
}

// verify checks raw and returns its claims. nonce is the one stored with
// the state; startedAt is when the state was made (a token issued before
// its sign-in started is a replay).
func (v *idTokenVerifier) verify(ctx context.Context, client *http.Client, raw, nonce string, startedAt time.Time) (json.RawMessage, error) {
	vc := &verifyCtx{client: client}
	ctx = context.WithValue(ctx, verifyCtxKey{}, vc)
	tok, err := v.verifier.Verify(ctx, raw)
	if err != nil {
		if vc.fetchErr != nil {
			return nil, fmt.Errorf("%w: %w", ErrProviderUnavailable, vc.fetchErr)
		}
		var exp *oidc.TokenExpiredError
		if errors.As(err, &exp) {
			return nil, fmt.Errorf("%w: expired at %v", ErrInvalidIDToken, exp.Expiry)
		}
		return nil, fmt.Errorf("%w: %w", ErrInvalidIDToken, err)
	}
	var claims json.RawMessage
	if err := tok.Claims(&claims); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidIDToken, err)
	}
	var extra struct {
		Azp string   `json:"azp"`
		Tid string   `json:"tid"`
		Nbf *float64 `json:"nbf"`
	}
	if err := json.Unmarshal(claims, &extra); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidIDToken, err)
	}
	if v.template {
		if extra.Tid == "" || strings.Replace(v.issuer, "{tenantid}", extra.Tid, 1) != tok.Issuer {
			return nil, fmt.Errorf("%w: issuer %q does not match tenant %q", ErrInvalidIDToken, tok.Issuer, extra.Tid)
		}
	}
	// azp: required to be us when there are several audiences; if present
	// at all it must name us (OIDC Core §3.1.3.7 items 4 and 5).
	if (len(tok.Audience) > 1 || extra.Azp != "") && extra.Azp != v.clientID {
		return nil, fmt.Errorf("%w: azp %q is not the client", ErrInvalidIDToken, extra.Azp)
	}
	if !slices.Contains(tok.Audience, v.clientID) {
		return nil, fmt.Errorf("%w: audience", ErrInvalidIDToken)
	}
	now := v.now()
	switch {
	case tok.IssuedAt.IsZero():
		return nil, fmt.Errorf("%w: no iat", ErrInvalidIDToken)
	case tok.IssuedAt.After(now.Add(idTokenLeeway)):
		return nil, fmt.Errorf("%w: issued in the future", ErrInvalidIDToken)
	case !startedAt.IsZero() && tok.IssuedAt.Before(startedAt.Add(-idTokenLeeway)):
		return nil, fmt.Errorf("%w: issued before the sign-in started", ErrInvalidIDToken)
	case extra.Nbf != nil && time.Unix(int64(*extra.Nbf), 0).After(now.Add(idTokenLeeway)):
		// go-oidc allows an nbf up to 5 minutes ahead; hold it to the
		// same 60 s leeway as iat (RFC 7519 §4.1.5: a small leeway, "usually no
		// more than a few minutes").
		return nil, fmt.Errorf("%w: not valid yet (nbf)", ErrInvalidIDToken)
	}
	// nonce: we always send one to OpenID providers, so it must come back
	// unchanged (OIDC Core §3.1.3.7 item 11); compared in constant time.
	if nonce != "" && subtle.ConstantTimeCompare([]byte(tok.Nonce), []byte(nonce)) != 1 {
		return nil, fmt.Errorf("%w: nonce mismatch", ErrInvalidIDToken)
	}
	return claims, nil
}
