package mfa

import (
	"bytes"
	"errors"
	"fmt"
	"image/png"
	"strings"

	"github.com/pquerna/otp"
)

// DefaultQRSize is the QR code width and height in pixels when 0 is given.
const DefaultQRSize = 256

// ErrQRCode is returned when a QR code cannot be rendered (not an otpauth
// URI, or a size too small for the code's modules).
var ErrQRCode = errors.New("mfa: cannot render QR code")

// QRCodePNG renders uri (an otpauth:// URI) as a size×size PNG QR code
// (error-correction level M), to show on the enrollment screen. It costs
// several milliseconds, which is why enrollment never renders it implicitly.
// size 0 means DefaultQRSize.
func QRCodePNG(uri string, size int) ([]byte, error) {
	if size == 0 {
		size = DefaultQRSize
	}
	if !strings.HasPrefix(uri, "otpauth://") || size < 0 || size > 4096 {
		return nil, ErrQRCode
	}
	key, err := otp.NewKeyFromURL(uri)
	if err != nil {
		// Not err's text: url.Parse errors quote the whole URI, secret
		// included.
		return nil, fmt.Errorf("%w: malformed otpauth URI", ErrQRCode)
	}
	img, err := key.Image(size, size)
	if err != nil {
		// Again not err's text: the QR encoder quotes its content.
		return nil, fmt.Errorf("%w: URI too long or size too small", ErrQRCode)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrQRCode, err)
	}
	return buf.Bytes(), nil
}
