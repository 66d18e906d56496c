package authkit

// ProviderType names an identity or service provider, as in Dynamic's
// providerType enum; it is also the oauth_provider of OAuth credentials.
type ProviderType string

// The 40 provider types of Dynamic's enum.
const (
	ProviderEmailOnly      ProviderType = "emailOnly"
	ProviderMagicLink      ProviderType = "magicLink"
	ProviderApple          ProviderType = "apple"
	ProviderBitbucket      ProviderType = "bitbucket"
	ProviderCoinbaseSocial ProviderType = "coinbasesocial"
	ProviderDiscord        ProviderType = "discord"
	ProviderEpicGames      ProviderType = "epicgames"
	ProviderFacebook       ProviderType = "facebook"
	ProviderFarcaster      ProviderType = "farcaster"
	ProviderGitHub         ProviderType = "github"
	ProviderGitLab         ProviderType = "gitlab"
	ProviderGoogle         ProviderType = "google"
	ProviderInstagram      ProviderType = "instagram"
	ProviderLinkedIn       ProviderType = "linkedin"
	ProviderMicrosoft      ProviderType = "microsoft"
	ProviderTwitch         ProviderType = "twitch"
	ProviderTwitter        ProviderType = "twitter"
	ProviderBlocto         ProviderType = "blocto"
	ProviderBanxa          ProviderType = "banxa"
	ProviderCoinbaseOnramp ProviderType = "coinbaseOnramp"
	ProviderCryptoDotCom   ProviderType = "cryptoDotCom"
	ProviderDynamic        ProviderType = "dynamic"
	ProviderAlchemy        ProviderType = "alchemy"
	ProviderZeroDev        ProviderType = "zerodev"
	ProviderTelegram       ProviderType = "telegram"
	// ProviderTurnkey is deprecated in Dynamic's API.
	ProviderTurnkey      ProviderType = "turnkey"
	ProviderCoinbaseWaas ProviderType = "coinbaseWaas"
	ProviderSMS          ProviderType = "sms"
	ProviderSpotify      ProviderType = "spotify"
	ProviderTikTok       ProviderType = "tiktok"
	ProviderLine         ProviderType = "line"
	ProviderSteam        ProviderType = "steam"
	ProviderShopify      ProviderType = "shopify"
	ProviderZkSync       ProviderType = "zksync"
	ProviderKraken       ProviderType = "kraken"
	ProviderBlockaid     ProviderType = "blockaid"
	ProviderPasskey      ProviderType = "passkey"
	ProviderOkta         ProviderType = "okta"
	ProviderSendGrid     ProviderType = "sendgrid"
	ProviderResend       ProviderType = "resend"
)

// ProviderTypes returns all 40 provider types in the enum's order.
func ProviderTypes() []ProviderType {
	return []ProviderType{
		ProviderEmailOnly, ProviderMagicLink, ProviderApple, ProviderBitbucket,
		ProviderCoinbaseSocial, ProviderDiscord, ProviderEpicGames, ProviderFacebook,
		ProviderFarcaster, ProviderGitHub, ProviderGitLab, ProviderGoogle,
		ProviderInstagram, ProviderLinkedIn, ProviderMicrosoft, ProviderTwitch,
		ProviderTwitter, ProviderBlocto, ProviderBanxa, ProviderCoinbaseOnramp,
		ProviderCryptoDotCom, ProviderDynamic, ProviderAlchemy, ProviderZeroDev,
		ProviderTelegram, ProviderTurnkey, ProviderCoinbaseWaas, ProviderSMS,
		ProviderSpotify, ProviderTikTok, ProviderLine, ProviderSteam,
		ProviderShopify, ProviderZkSync, ProviderKraken, ProviderBlockaid,
		ProviderPasskey, ProviderOkta, ProviderSendGrid, ProviderResend,
	}
}

// Valid reports whether p is one of the 40 known provider types.
func (p ProviderType) Valid() bool {
	for _, q := range ProviderTypes() {
		if p == q {
			return true
		}
	}
	return false
}
