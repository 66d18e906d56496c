package mfa

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/authkit/authkit/internal/random"
)

// Device is an MFA device as shown to its owner; JSON field names follow the
// MFADevice wire model. The secret is never part of it.
type Device struct {
	ID         string     `json:"id"`         // UUID
	Type       DeviceType `json:"type"`       // "totp"
	Verified   bool       `json:"verified"`   // confirmed with a first code
	CreatedAt  time.Time  `json:"createdAt"`  // enrollment time
	VerifiedAt *time.Time `json:"verifiedAt"` // nil (JSON null) until confirmed
	Default    bool       `json:"default"`    // the device tried when no id is given
	Alias      string     `json:"alias,omitempty"`
}

func deviceOf(r DeviceRecord) Device {
	d := Device{ID: r.ID, Type: r.Type, Verified: r.Verified, CreatedAt: r.CreatedAt, Default: r.Default, Alias: r.Alias}
	if r.Verified {
		t := r.VerifiedAt
		d.VerifiedAt = &t
	}
	return d
}

// Enrollment is a new, unverified TOTP device: what the user types or scans
// into an authenticator app. JSON field names follow the
// GET users/mfa/register/totp response.
type Enrollment struct {
	DeviceID string     `json:"id"`
	Type     DeviceType `json:"type"`
	// Secret is the 160-bit TOTP secret in unpadded base32, for manual entry.
	Secret string `json:"secret"`
	// URI is the otpauth:// Key URI, to show as a QR code.
	URI string `json:"uri"`
}

// QRCodePNG renders the enrollment URI as a size×size PNG (0 = DefaultQRSize).
func (e Enrollment) QRCodePNG(size int) ([]byte, error) { return QRCodePNG(e.URI, size) }

func sealAD(deviceID string) []byte { return []byte(deviceID) }

// EnrollTOTP creates an unverified TOTP device for userID with a fresh
// 160-bit secret from the random source. account labels the entry in the
// authenticator app (e.g. the user's email). The device cannot authenticate
// until ConfirmTOTP accepts a first code from it. The secret is sealed before
// it reaches the store (associated data: the device id).
func (s *Service) EnrollTOTP(ctx context.Context, userID, account string) (Enrollment, error) {
	if userID == "" {
		return Enrollment{}, ErrInvalidUser
	}
	if !validLabel(account) {
		return Enrollment{}, ErrInvalidLabel
	}
	secret, err := random.Bytes(s.rand, SecretSize)
	if err != nil {
		return Enrollment{}, err
	}
	id, err := random.UUID(s.rand)
	if err != nil {
		return Enrollment{}, err
	}
	b32 := b32NoPad.EncodeToString(secret)
	uri, err := KeyURI(s.issuer, account, b32)
	if err != nil {
		return Enrollment{}, err
	}
	sealed, err := s.sealer.Seal(secret, sealAD(id))
	if err != nil {
		return Enrollment{}, fmt.Errorf("mfa: seal secret: %w", err)
	}
	rec := DeviceRecord{ID: id, UserID: userID, Type: DeviceTypeTOTP, SealedSecret: sealed, CreatedAt: s.now()}
	err = s.store.UpdateDevices(ctx, userID, func(ds Devices) (Devices, error) { return ds.Add(rec, s.maxDevices) })
	if err != nil {
		return Enrollment{}, err
	}
	s.log.InfoContext(ctx, "mfa: totp device enrolled", "user", userID, "device", id)
	return Enrollment{DeviceID: id, Type: DeviceTypeTOTP, Secret: b32, URI: uri}, nil
}

// checkCode opens the device's sealed secret and returns the step within
// ±Skew of now whose code is code. The opened secret is wiped after use.
func (s *Service) checkCode(d DeviceRecord, code string, now time.Time) (uint64, bool, error) {
	secret, err := s.sealer.Open(d.SealedSecret, sealAD(d.ID))
	if err != nil {
		return 0, false, fmt.Errorf("mfa: open secret of device %s: %w", d.ID, err)
	}
	step, ok := matchStep(secret, code, now, s.skew)
	clear(secret)
	return step, ok, nil
}

// ConfirmTOTP verifies the user's newest unverified device with a first code
// from it. On success the device is verified, that code's time step counts
// as used, and the device becomes the default if the user had none.
// Confirming does not satisfy an MFA challenge: call AuthenticateTOTP with a
// later code for that. Errors: ErrNoPendingDevice, ErrInvalidCode,
// *ratelimit.LimitedError (ErrRateLimited), ErrLockedOut.
func (s *Service) ConfirmTOTP(ctx context.Context, userID, code string) (Device, error) {
	if userID == "" {
		return Device{}, ErrInvalidUser
	}
	list, err := s.store.ListDevices(ctx, userID)
	if err != nil {
		return Device{}, err
	}
	var pending *DeviceRecord
	for i := len(list) - 1; i >= 0; i-- { // newest first
		if !list[i].Verified {
			pending = &list[i]
			break
		}
	}
	if pending == nil {
		return Device{}, ErrNoPendingDevice
	}
	return s.confirm(ctx, userID, *pending, code)
}

// ConfirmTOTPDevice is ConfirmTOTP for the named unverified device rather
// than the newest one (Dynamic's POST users/mfa/auth/totp with the id from
// GET users/mfa/register/totp). Errors: ErrDeviceNotFound (unknown or
// foreign device), ErrNoPendingDevice (already verified), ErrInvalidCode,
// *ratelimit.LimitedError, ErrLockedOut.
func (s *Service) ConfirmTOTPDevice(ctx context.Context, userID, deviceID, code string) (Device, error) {
	if userID == "" {
		return Device{}, ErrInvalidUser
	}
	d, err := s.store.GetDevice(ctx, userID, deviceID)
	switch {
	case errors.Is(err, ErrNotFound):
		return Device{}, ErrDeviceNotFound
	case err != nil:
		return Device{}, err
	case d.Verified:
		return Device{}, ErrNoPendingDevice
	}
	return s.confirm(ctx, userID, d, code)
}

// confirm checks a first code of the unverified device pending and marks
// it verified.
func (s *Service) confirm(ctx context.Context, userID string, pending DeviceRecord, code string) (Device, error) {
	code, ok := normalizeTOTPCode(code)
	if !ok {
		return Device{}, ErrInvalidCode // cannot be right: not counted
	}
	now := s.now()
	key := totpKey(userID)
	if err := s.reserve(ctx, s.totpFailures, key); err != nil {
		return Device{}, err
	}
	step, ok, err := s.checkCode(pending, code, now)
	if err != nil {
		return Device{}, err
	}
	if !ok {
		s.log.InfoContext(ctx, "mfa: totp confirmation failed", "user", userID, "device", pending.ID, "reason", "wrong code")
		return Device{}, ErrInvalidCode
	}
	var rec DeviceRecord
	err = s.store.UpdateDevices(ctx, userID, func(ds Devices) (Devices, error) {
		ds, err := ds.Confirm(pending.ID, step, now)
		if err == nil {
			rec = ds[ds.index(pending.ID)]
		}
		return ds, err
	})
	switch {
	case errors.Is(err, ErrStepUsed), errors.Is(err, ErrAlreadyConfirmed), errors.Is(err, ErrNotFound):
		// A concurrent request confirmed (or deleted) the device first with
		// this code: to this caller it is a replay.
		s.log.InfoContext(ctx, "mfa: totp confirmation failed", "user", userID, "device", pending.ID, "reason", "replayed")
		return Device{}, ErrInvalidCode
	case err != nil:
		return Device{}, err
	}
	s.release(ctx, s.totpFailures, key)
	s.log.InfoContext(ctx, "mfa: totp device confirmed", "user", userID, "device", rec.ID, "default", rec.Default)
	return deviceOf(rec), nil
}

// AuthenticateTOTP checks a code from one of the user's verified devices: the
// given one, or the default device when deviceID is "". (Only one device is
// tried per attempt: trying every device would multiply the chance of each
// guess by the number of devices.) A code is accepted for the current time
// step ±Skew, and only if its step is later than the last step accepted on
// that device, so a code (or any earlier one) never works twice (RFC 6238
// §5.2). A wrong or replayed code counts as a failure; after MaxAttempts in
// FailureWindow every attempt fails with *ratelimit.LimitedError until the
// window ends; after MaxLifetimeFailures in all, with ErrLockedOut until
// ResetFailures. Errors: ErrDeviceNotFound (also when the user has no
// verified device), ErrInvalidCode, *ratelimit.LimitedError, ErrLockedOut.
func (s *Service) AuthenticateTOTP(ctx context.Context, userID, deviceID, code string) (Device, error) {
	if userID == "" {
		return Device{}, ErrInvalidUser
	}
	d, err := s.deviceFor(ctx, userID, deviceID)
	if err != nil {
		return Device{}, err
	}
	code, ok := normalizeTOTPCode(code)
	if !ok {
		return Device{}, ErrInvalidCode
	}
	now := s.now()
	key := totpKey(userID)
	if err := s.reserve(ctx, s.totpFailures, key); err != nil {
		return Device{}, err
	}
	step, ok, err := s.checkCode(d, code, now)
	if err != nil {
		return Device{}, err
	}
	if !ok {
		if s.log.Enabled(ctx, slog.LevelInfo) { // hot path: spare the boxing of the args
			s.log.InfoContext(ctx, "mfa: totp authentication failed", "user", userID, "device", d.ID, "reason", "wrong code")
		}
		return Device{}, ErrInvalidCode
	}
	err = s.store.MarkStepUsed(ctx, userID, d.ID, step)
	if errors.Is(err, ErrStepUsed) || errors.Is(err, ErrNotFound) {
		s.log.InfoContext(ctx, "mfa: totp authentication failed", "user", userID, "device", d.ID, "reason", "step already used")
		return Device{}, ErrInvalidCode
	}
	if err != nil {
		return Device{}, err
	}
	s.release(ctx, s.totpFailures, key)
	d.LastStep = step
	if s.log.Enabled(ctx, slog.LevelInfo) { // hot path: spare the boxing of the args
		s.log.InfoContext(ctx, "mfa: totp authenticated", "user", userID, "device", d.ID)
	}
	return deviceOf(d), nil
}

// deviceFor returns the verified device a TOTP attempt is checked against:
// the named one, or the default (the oldest verified device if, exceptionally,
// none is marked default).
func (s *Service) deviceFor(ctx context.Context, userID, deviceID string) (DeviceRecord, error) {
	if deviceID != "" {
		d, err := s.store.GetDevice(ctx, userID, deviceID)
		if errors.Is(err, ErrNotFound) || err == nil && !d.Verified {
			return DeviceRecord{}, ErrDeviceNotFound
		}
		return d, err
	}
	list, err := s.store.ListDevices(ctx, userID)
	if err != nil {
		return DeviceRecord{}, err
	}
	d, ok := Devices(list).Default()
	if !ok {
		return DeviceRecord{}, ErrDeviceNotFound
	}
	return d, nil
}

// ListDevices returns the user's devices, oldest first, unverified ones
// included (Verified false).
func (s *Service) ListDevices(ctx context.Context, userID string) ([]Device, error) {
	list, err := s.store.ListDevices(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]Device, len(list))
	for i, r := range list {
		out[i] = deviceOf(r)
	}
	return out, nil
}

// DeleteDevice removes one of the user's devices. It requires an MFA token
// issued to the user (and to sessionID, if the token is session-bound; see
// IssueToken), which it uses up if it is single-use. If the default device is
// deleted, the oldest remaining verified device becomes the default.
// Errors: ErrDeviceNotFound (checked first, so a typo does not burn the
// token), ErrTokenInvalid.
func (s *Service) DeleteDevice(ctx context.Context, userID, deviceID, sessionID, mfaToken string) error {
	if userID == "" {
		return ErrInvalidUser
	}
	if _, err := s.store.GetDevice(ctx, userID, deviceID); err != nil {
		if errors.Is(err, ErrNotFound) {
			return ErrDeviceNotFound
		}
		return err
	}
	if err := s.ConsumeToken(ctx, userID, sessionID, mfaToken); err != nil {
		return err
	}
	if err := s.deleteDevice(ctx, userID, deviceID); err != nil {
		if errors.Is(err, ErrNotFound) {
			return ErrDeviceNotFound
		}
		return err
	}
	s.log.InfoContext(ctx, "mfa: device deleted", "user", userID, "device", deviceID)
	return nil
}

// deleteDevice removes the device, promoting another to default if needed.
func (s *Service) deleteDevice(ctx context.Context, userID, deviceID string) error {
	return s.store.UpdateDevices(ctx, userID, func(ds Devices) (Devices, error) { return ds.Delete(deviceID) })
}
