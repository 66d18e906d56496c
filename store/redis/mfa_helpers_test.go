package redis

import (
	"context"
	"time"

	"github.com/authkit/authkit/mfa"
)

// createDevice, confirmDevice and deleteDevice run the mfa.Devices rules
// through the store's UpdateDevices, as mfa.Service does.
func createDevice(ctx context.Context, s mfa.DeviceStore, d mfa.DeviceRecord, maxDevices int) error {
	return s.UpdateDevices(ctx, d.UserID, func(ds mfa.Devices) (mfa.Devices, error) { return ds.Add(d, maxDevices) })
}

func confirmDevice(ctx context.Context, s mfa.DeviceStore, userID, deviceID string, step uint64, now time.Time) (mfa.DeviceRecord, error) {
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

func deleteDevice(ctx context.Context, s mfa.DeviceStore, userID, deviceID string) error {
	return s.UpdateDevices(ctx, userID, func(ds mfa.Devices) (mfa.Devices, error) { return ds.Delete(deviceID) })
}
