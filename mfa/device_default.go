package mfa

import (
	"context"
	"errors"
)

// SetDefaultDevice makes one of the user's verified devices the default:
// the device AuthenticateTOTP tries when no device id is given. Errors:
// ErrDeviceNotFound for an unknown, unverified or foreign device.
func (s *Service) SetDefaultDevice(ctx context.Context, userID, deviceID string) error {
	if userID == "" {
		return ErrInvalidUser
	}
	if deviceID == "" {
		return ErrDeviceNotFound
	}
	err := s.store.UpdateDevices(ctx, userID, func(ds Devices) (Devices, error) { return ds.SetDefault(deviceID) })
	if errors.Is(err, ErrNotFound) {
		return ErrDeviceNotFound
	}
	if err != nil {
		return err
	}
	s.log.InfoContext(ctx, "mfa: default device set", "user", userID, "device", deviceID)
	return nil
}

// GetDevice returns one of the user's devices, verified or not. Errors:
// ErrDeviceNotFound.
func (s *Service) GetDevice(ctx context.Context, userID, deviceID string) (Device, error) {
	if userID == "" {
		return Device{}, ErrInvalidUser
	}
	d, err := s.store.GetDevice(ctx, userID, deviceID)
	if errors.Is(err, ErrNotFound) {
		return Device{}, ErrDeviceNotFound
	}
	if err != nil {
		return Device{}, err
	}
	return deviceOf(d), nil
}
