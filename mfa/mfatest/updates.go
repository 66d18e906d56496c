package mfatest

import (
	"context"
	"time"

	"github.com/authkit/authkit/mfa"
)

// AddDevice adds d to its user's devices through the store's UpdateDevices
// and the Devices.Add rule (at most maxDevices devices), as mfa.Service
// does. Store tests use it to set up devices.
func AddDevice(ctx context.Context, s mfa.DeviceStore, d mfa.DeviceRecord, maxDevices int) error {
	return s.UpdateDevices(ctx, d.UserID, func(ds mfa.Devices) (mfa.Devices, error) { return ds.Add(d, maxDevices) })
}

// ConfirmDevice runs the Devices.Confirm rule through the store's
// UpdateDevices and returns the confirmed record.
func ConfirmDevice(ctx context.Context, s mfa.DeviceStore, userID, deviceID string, step uint64, now time.Time) (mfa.DeviceRecord, error) {
	var got mfa.DeviceRecord
	err := s.UpdateDevices(ctx, userID, func(ds mfa.Devices) (mfa.Devices, error) {
		ds, err := ds.Confirm(deviceID, step, now)
		for _, d := range ds {
			if d.ID == deviceID {
				got = d
			}
		}
		return ds, err
	})
	return got, err
}

// DeleteDevice runs the Devices.Delete rule through the store's
// UpdateDevices.
func DeleteDevice(ctx context.Context, s mfa.DeviceStore, userID, deviceID string) error {
	return s.UpdateDevices(ctx, userID, func(ds mfa.Devices) (mfa.Devices, error) { return ds.Delete(deviceID) })
}
