package oauth

import (
	"golang.org/x/oauth2"

	"github.com/authkit/authkit"
)

// Endpoints are a provider's URLs. Catalogue providers come with theirs;
// a Provider's Endpoints field overrides any non-empty one (tests point a
// catalogue provider at oauthtest's fake this way).
type Endpoints struct {
	// AuthURL is the authorization endpoint.
	AuthURL string
	// TokenURL is the token endpoint.
	TokenURL string
	// UserInfoURL is the profile endpoint called with the access token;
	// empty when the ID token carries the profile.
	UserInfoURL string
	// EmailsURL is a separate emails endpoint (GitHub, Bitbucket).
	EmailsURL string
	// Issuer is the OpenID Connect issuer the ID token's iss must equal.
	// For Microsoft it may hold the {tenantid} template.
	Issuer string
	// JWKSURL is where the issuer publishes its signing keys.
	JWKSURL string
}

func (e Endpoints) override(o Endpoints) Endpoints {
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&e.AuthURL, o.AuthURL)
	set(&e.TokenURL, o.TokenURL)
	set(&e.UserInfoURL, o.UserInfoURL)
	set(&e.EmailsURL, o.EmailsURL)
	set(&e.Issuer, o.Issuer)
	set(&e.JWKSURL, o.JWKSURL)
	return e
}

// spec is one catalogue entry: data plus a small mapping function.
type spec struct {
	endpoints Endpoints
	// scopes are requested when the Provider sets none.
	scopes []string
	// oidc: the provider returns an ID token (nonce sent, token verified).
	oidc bool
	// idTokenAlgs are the accepted ID token algorithms (default RS256).
	idTokenAlgs []string
	// authStyle is how the client authenticates at the token endpoint.
	authStyle oauth2.AuthStyle
	// formPost: the callback arrives as a POST form (Apple).
	formPost bool
	// clientIDParam also sends the client id under this name (TikTok's client_key).
	clientIDParam string
	// clientIDHeader sends the client id in this header on user-info calls (Twitch).
	clientIDHeader string
	// pkceRequired: the provider refuses the flow without PKCE (X). authkit
	// sends PKCE to every provider; this is documentation kept as data.
	pkceRequired bool
	// tenantIssuer: the issuer holds {tenantid}, filled from the tid claim (Microsoft).
	tenantIssuer bool
	// mapProfile turns the collected documents into an Identity (without
	// Provider and Raw, which the caller sets).
	mapProfile func(profileSources) (Identity, error)
}

// catalogue returns the built-in provider configurations. It is a function,
// not a package variable, so nothing global is mutable.
func catalogue(t authkit.ProviderType) (spec, bool) {
	switch t {
	case authkit.ProviderGoogle:
		return spec{
			endpoints: Endpoints{
				AuthURL:  "https://accounts.google.com/o/oauth2/v2/auth",
				TokenURL: "https://oauth2.googleapis.com/token",
				Issuer:   "https://accounts.google.com",
				JWKSURL:  "https://www.googleapis.com/oauth2/v3/certs",
			},
			scopes: []string{"openid", "email", "profile"}, oidc: true,
			authStyle: oauth2.AuthStyleInParams, mapProfile: mapGoogle,
		}, true
	case authkit.ProviderApple:
		return spec{
			endpoints: Endpoints{
				AuthURL:  "https://appleid.apple.com/auth/authorize",
				TokenURL: "https://appleid.apple.com/auth/token",
				Issuer:   "https://appleid.apple.com",
				JWKSURL:  "https://appleid.apple.com/auth/keys",
			},
			// "openid" is implied by Apple; asking for name or email
			// requires response_mode=form_post.
			scopes: []string{"name", "email"}, oidc: true, formPost: true,
			authStyle: oauth2.AuthStyleInParams, mapProfile: mapApple,
		}, true
	case authkit.ProviderGitHub:
		return spec{
			endpoints: Endpoints{
				AuthURL:     "https://github.com/login/oauth/authorize",
				TokenURL:    "https://github.com/login/oauth/access_token",
				UserInfoURL: "https://api.github.com/user",
				EmailsURL:   "https://api.github.com/user/emails",
			},
			scopes:    []string{"read:user", "user:email"},
			authStyle: oauth2.AuthStyleInParams, mapProfile: mapGitHub,
		}, true
	case authkit.ProviderDiscord:
		return spec{
			endpoints: Endpoints{
				AuthURL:     "https://discord.com/oauth2/authorize",
				TokenURL:    "https://discord.com/api/oauth2/token",
				UserInfoURL: "https://discord.com/api/users/@me",
			},
			scopes:    []string{"identify", "email"},
			authStyle: oauth2.AuthStyleInHeader, mapProfile: mapDiscord,
		}, true
	case authkit.ProviderTwitter:
		return spec{
			endpoints: Endpoints{
				AuthURL:     "https://x.com/i/oauth2/authorize",
				TokenURL:    "https://api.x.com/2/oauth2/token",
				UserInfoURL: "https://api.x.com/2/users/me?user.fields=profile_image_url,confirmed_email",
			},
			scopes:       []string{"users.read", "tweet.read"},
			pkceRequired: true,
			authStyle:    oauth2.AuthStyleInHeader, mapProfile: mapTwitter,
		}, true
	case authkit.ProviderMicrosoft:
		return spec{
			endpoints: Endpoints{
				AuthURL:  "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize",
				TokenURL: "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
				Issuer:   "https://login.microsoftonline.com/{tenantid}/v2.0",
				JWKSURL:  "https://login.microsoftonline.com/{tenant}/discovery/v2.0/keys",
			},
			scopes: []string{"openid", "email", "profile"}, oidc: true, tenantIssuer: true,
			authStyle: oauth2.AuthStyleInParams, mapProfile: mapMicrosoft,
		}, true
	case authkit.ProviderFacebook:
		return spec{
			endpoints: Endpoints{
				AuthURL:     "https://www.facebook.com/v19.0/dialog/oauth",
				TokenURL:    "https://graph.facebook.com/v19.0/oauth/access_token",
				UserInfoURL: "https://graph.facebook.com/v19.0/me?fields=id,name,email,picture.type(large)",
			},
			scopes:    []string{"public_profile", "email"},
			authStyle: oauth2.AuthStyleInParams, mapProfile: mapFacebook,
		}, true
	case authkit.ProviderLinkedIn:
		return spec{
			endpoints: Endpoints{
				AuthURL:     "https://www.linkedin.com/oauth/v2/authorization",
				TokenURL:    "https://www.linkedin.com/oauth/v2/accessToken",
				UserInfoURL: "https://api.linkedin.com/v2/userinfo",
				Issuer:      "https://www.linkedin.com/oauth",
				JWKSURL:     "https://www.linkedin.com/oauth/openid/jwks",
			},
			scopes: []string{"openid", "profile", "email"}, oidc: true,
			authStyle: oauth2.AuthStyleInParams, mapProfile: mapOIDC,
		}, true
	case authkit.ProviderTwitch:
		return spec{
			endpoints: Endpoints{
				AuthURL:     "https://id.twitch.tv/oauth2/authorize",
				TokenURL:    "https://id.twitch.tv/oauth2/token",
				UserInfoURL: "https://api.twitch.tv/helix/users",
			},
			scopes: []string{"user:read:email"}, clientIDHeader: "Client-Id",
			authStyle: oauth2.AuthStyleInParams, mapProfile: mapTwitch,
		}, true
	case authkit.ProviderGitLab:
		return spec{
			endpoints: Endpoints{
				AuthURL:     "https://gitlab.com/oauth/authorize",
				TokenURL:    "https://gitlab.com/oauth/token",
				UserInfoURL: "https://gitlab.com/oauth/userinfo",
				Issuer:      "https://gitlab.com",
				JWKSURL:     "https://gitlab.com/oauth/discovery/keys",
			},
			scopes: []string{"openid", "profile", "email"}, oidc: true,
			authStyle: oauth2.AuthStyleInParams, mapProfile: mapOIDC,
		}, true
	case authkit.ProviderBitbucket:
		return spec{
			endpoints: Endpoints{
				AuthURL:     "https://bitbucket.org/site/oauth2/authorize",
				TokenURL:    "https://bitbucket.org/site/oauth2/access_token",
				UserInfoURL: "https://api.bitbucket.org/2.0/user",
				EmailsURL:   "https://api.bitbucket.org/2.0/user/emails",
			},
			scopes:    []string{"account", "email"},
			authStyle: oauth2.AuthStyleInHeader, mapProfile: mapBitbucket,
		}, true
	case authkit.ProviderSpotify:
		return spec{
			endpoints: Endpoints{
				AuthURL:     "https://accounts.spotify.com/authorize",
				TokenURL:    "https://accounts.spotify.com/api/token",
				UserInfoURL: "https://api.spotify.com/v1/me",
			},
			scopes:    []string{"user-read-email", "user-read-private"},
			authStyle: oauth2.AuthStyleInHeader, mapProfile: mapSpotify,
		}, true
	case authkit.ProviderTikTok:
		return spec{
			endpoints: Endpoints{
				AuthURL:     "https://www.tiktok.com/v2/auth/authorize/",
				TokenURL:    "https://open.tiktokapis.com/v2/oauth/token/",
				UserInfoURL: "https://open.tiktokapis.com/v2/user/info/?fields=open_id,union_id,avatar_url,display_name,username",
			},
			scopes: []string{"user.info.basic"}, clientIDParam: "client_key",
			authStyle: oauth2.AuthStyleInParams, mapProfile: mapTikTok,
		}, true
	case authkit.ProviderLine:
		return spec{
			endpoints: Endpoints{
				AuthURL:  "https://access.line.me/oauth2/v2.1/authorize",
				TokenURL: "https://api.line.me/oauth2/v2.1/token",
				Issuer:   "https://access.line.me",
				JWKSURL:  "https://api.line.me/oauth2/v2.1/certs",
			},
			// LINE signs web-login ID tokens with HS256 keyed by the channel
			// secret (OIDC Core §10.1), native ones with ES256 from its JWKS.
			// go-jose wants an HMAC key at least as long as the hash: LINE's
			// 32-character channel secrets are.
			scopes: []string{"openid", "profile", "email"}, oidc: true,
			idTokenAlgs: []string{"HS256", "ES256"},
			authStyle:   oauth2.AuthStyleInParams, mapProfile: mapLine,
		}, true
	case authkit.ProviderCoinbaseSocial:
		return spec{
			endpoints: Endpoints{
				AuthURL:     "https://login.coinbase.com/oauth2/auth",
				TokenURL:    "https://login.coinbase.com/oauth2/token",
				UserInfoURL: "https://api.coinbase.com/v2/user",
			},
			scopes:    []string{"wallet:user:read", "wallet:user:email"},
			authStyle: oauth2.AuthStyleInParams, mapProfile: mapCoinbase,
		}, true
	case authkit.ProviderEpicGames:
		return spec{
			endpoints: Endpoints{
				AuthURL:     "https://www.epicgames.com/id/authorize",
				TokenURL:    "https://api.epicgames.dev/epic/oauth/v2/token",
				UserInfoURL: "https://api.epicgames.dev/epic/oauth/v2/userInfo",
			},
			scopes:    []string{"basic_profile"},
			authStyle: oauth2.AuthStyleInHeader, mapProfile: mapEpicGames,
		}, true
	}
	return spec{}, false
}

// CatalogueProviders lists the provider types with a built-in
// configuration. Any other provider is configured as generic OpenID Connect
// (Provider.Issuer).
func CatalogueProviders() []authkit.ProviderType {
	return []authkit.ProviderType{
		authkit.ProviderGoogle, authkit.ProviderApple, authkit.ProviderGitHub,
		authkit.ProviderDiscord, authkit.ProviderTwitter, authkit.ProviderMicrosoft,
		authkit.ProviderFacebook, authkit.ProviderLinkedIn, authkit.ProviderTwitch,
		authkit.ProviderGitLab, authkit.ProviderBitbucket, authkit.ProviderSpotify,
		authkit.ProviderTikTok, authkit.ProviderLine, authkit.ProviderCoinbaseSocial,
		authkit.ProviderEpicGames,
	}
}
