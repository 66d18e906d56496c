package mfa

import (
	"context"
	"errors"
)

// RemoveDevice removes one of the user's devices for a caller that has
// already required proof of a recent second factor by other means (an
// elevated-access token, see stepup.ActionRemoveFactor); DeleteDevice is
// the variant that checks an MFA token itself. If the default device is
// removed, the oldest remaining verified device becomes the default.
// Errors: ErrDeviceNotFound.
func (s *Service) RemoveDevice(ctx context.Context, userID, deviceID string) error {
	if userID == "" {
		return ErrInvalidUser
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

// HasVerifiedDevice reports whether the user holds a verified device, the
// second factor that makes sign-ins MFA-pending and step-up rules apply.
func (s *Service) HasVerifiedDevice(ctx context.Context, userID string) (bool, error) {
	if userID == "" {
		return false, ErrInvalidUser
	}
	devs, err := s.store.ListDevices(ctx, userID)
	if err != nil {
		return false, err
	}
	for _, d := range devs {
		if d.Verified {
			return true, nil
		}
	}
	return false, nil
}
