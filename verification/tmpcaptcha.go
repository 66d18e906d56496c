package verification

import "context"

// TEMPORARY until package captcha lands.
type tmpCaptchaVerifier interface {
	Verify(ctx context.Context, token, remoteIP string) error
}
