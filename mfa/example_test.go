package mfa_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/authkit/authkit/mfa"
	"github.com/pquerna/otp/totp"
)

// newService wires a Service for the examples. A real host loads the sealer
// key and hash key from its secret store instead of generating them.
func newService(now func() time.Time) *mfa.Service {
	var key mfa.Key
	key.ID = "2026-11"
	if _, err := rand.Read(key.Secret[:]); err != nil {
		log.Fatal(err)
	}
	sealer, err := mfa.NewAESGCMSealer(key)
	if err != nil {
		log.Fatal(err)
	}
	hashKey := make([]byte, 32)
	if _, err := rand.Read(hashKey); err != nil {
		log.Fatal(err)
	}
	svc, err := mfa.New(mfa.Config{
		Store:    mfa.NewMemoryStore(),
		Sealer:   sealer,
		HashKeys: [][]byte{hashKey},
		Issuer:   "ACME Co",
		Now:      now,
	})
	if err != nil {
		log.Fatal(err)
	}
	return svc
}

// The TOTP flow: enroll (show the secret or QR code), confirm with a first
// code, then authenticate with later codes.
func Example() {
	ctx := context.Background()
	now := time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC)
	svc := newService(func() time.Time { return now })

	enr, err := svc.EnrollTOTP(ctx, "user-1", "alice@example.com")
	if err != nil {
		log.Fatal(err)
	}
	// Show enr.URI as a QR code (enr.QRCodePNG(256)) or enr.Secret for manual entry.
	// The authenticator app now shows codes; here we compute one.
	code, _ := totp.GenerateCode(enr.Secret, now)
	dev, err := svc.ConfirmTOTP(ctx, "user-1", code)
	fmt.Println("confirmed:", dev.Verified, "default:", dev.Default, err)

	// The confirming code cannot be used again.
	_, err = svc.AuthenticateTOTP(ctx, "user-1", "", code)
	fmt.Println("replay:", errors.Is(err, mfa.ErrInvalidCode))

	now = now.Add(30 * time.Second)
	code, _ = totp.GenerateCode(enr.Secret, now)
	_, err = svc.AuthenticateTOTP(ctx, "user-1", "", code)
	fmt.Println("authenticated:", err == nil)
	// Output:
	// confirmed: true default: true <nil>
	// replay: true
	// authenticated: true
}

// Recovery codes: the first call creates a set, each code works once, and the
// remaining count lets the host warn the user.
func ExampleService_RecoveryCodes() {
	ctx := context.Background()
	svc := newService(nil)

	codes, err := svc.RecoveryCodes(ctx, "user-1")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(codes), "codes like XXXX-XXXX-XXXX-XXXX:", len(codes[0]) == 19)
	ack, _ := svc.RecoveryAcknowledgement(ctx, "user-1")
	fmt.Println("acknowledgement:", ack)
	_ = svc.AcknowledgeRecoveryCodes(ctx, "user-1")
	ack, _ = svc.RecoveryAcknowledgement(ctx, "user-1")
	fmt.Println("acknowledgement:", ack)

	remaining, err := svc.AuthenticateRecovery(ctx, "user-1", codes[0])
	fmt.Println("remaining:", remaining, err)
	_, err = svc.AuthenticateRecovery(ctx, "user-1", codes[0])
	fmt.Println("reused:", errors.Is(err, mfa.ErrInvalidRecoveryCode))
	// Output:
	// 10 codes like XXXX-XXXX-XXXX-XXXX: true
	// acknowledgement: pending
	// acknowledgement: complete
	// remaining: 9 <nil>
	// reused: true
}

// MFA tokens: after a successful second factor, issue a single-use token for
// one sensitive action, such as deleting a device.
func ExampleService_IssueToken() {
	ctx := context.Background()
	svc := newService(nil)

	// ... after AuthenticateTOTP or AuthenticateRecovery succeeded:
	token, expires, err := svc.IssueToken(ctx, "user-1", "session-1", true)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("lifetime under 5m:", time.Until(expires) <= 5*time.Minute)

	// The action handler checks the x-mfa-auth-token header.
	fmt.Println("first use:", svc.ConsumeToken(ctx, "user-1", "session-1", token))
	err = svc.ConsumeToken(ctx, "user-1", "session-1", token)
	fmt.Println("second use:", errors.Is(err, mfa.ErrTokenInvalid))
	// Output:
	// lifetime under 5m: true
	// first use: <nil>
	// second use: true
}

// Deleting a device needs a fresh second factor: authenticate with the
// device, ask for a single-use MFA token, and present it with the delete.
func ExampleService_DeleteDevice() {
	ctx := context.Background()
	now := time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC)
	svc := newService(func() time.Time { return now })

	enr, _ := svc.EnrollTOTP(ctx, "user-1", "alice@example.com")
	code, _ := totp.GenerateCode(enr.Secret, now)
	if _, err := svc.ConfirmTOTP(ctx, "user-1", code); err != nil {
		log.Fatal(err)
	}

	err := svc.DeleteDevice(ctx, "user-1", enr.DeviceID, "session-1", "")
	fmt.Println("without a token:", errors.Is(err, mfa.ErrTokenInvalid))

	now = now.Add(30 * time.Second)
	code, _ = totp.GenerateCode(enr.Secret, now)
	if _, err := svc.AuthenticateTOTP(ctx, "user-1", enr.DeviceID, code); err != nil {
		log.Fatal(err)
	}
	token, _, _ := svc.IssueToken(ctx, "user-1", "session-1", true)
	fmt.Println("with a token:", svc.DeleteDevice(ctx, "user-1", enr.DeviceID, "session-1", token))
	devices, _ := svc.ListDevices(ctx, "user-1")
	fmt.Println("devices left:", len(devices))
	// Output:
	// without a token: true
	// with a token: <nil>
	// devices left: 0
}

// Rotating the sealing key: the new key goes first and seals from now on;
// the old one stays listed so that existing secrets still open.
func ExampleNewAESGCMSealer() {
	oldKey := mfa.Key{ID: "2026-01"}
	newKey := mfa.Key{ID: "2026-07"}
	_, _ = rand.Read(oldKey.Secret[:])
	_, _ = rand.Read(newKey.Secret[:])

	before, _ := mfa.NewAESGCMSealer(oldKey)
	sealed, _ := before.Seal([]byte("totp secret"), []byte("device-id"))

	after, _ := mfa.NewAESGCMSealer(newKey, oldKey)
	plain, err := after.Open(sealed, []byte("device-id"))
	fmt.Println(string(plain), err)
	_, err = after.Open(sealed, []byte("another-device"))
	fmt.Println("moved to another device:", errors.Is(err, mfa.ErrSealedOpen))
	resealed, _ := after.Seal(plain, []byte("device-id"))
	id, _ := mfa.KeyID(resealed)
	fmt.Println("sealed under:", id)
	// Output:
	// totp secret <nil>
	// moved to another device: true
	// sealed under: 2026-07
}
