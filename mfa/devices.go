package mfa

import (
	"slices"
	"time"
)

// Devices is all of one user's MFA devices: the record DeviceStore.UpdateDevices
// reads and writes as a whole. Its methods are the rules that span devices
// (the device cap, the choice of the default device), written once here
// and run atomically by every store. They may change the receiver in place
// (UpdateDevices hands its function a copy) and return the new list.
type Devices []DeviceRecord

// index returns the position of the device with id, or -1.
func (ds Devices) index(id string) int {
	return slices.IndexFunc(ds, func(d DeviceRecord) bool { return d.ID == id })
}

// older orders devices by CreatedAt, then ID: "oldest" in every rule.
func older(a, b DeviceRecord) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.Before(b.CreatedAt)
	}
	return a.ID < b.ID
}

// oldest returns the position of the oldest device that keep accepts, or -1.
func (ds Devices) oldest(keep func(DeviceRecord) bool) int {
	best := -1
	for i, d := range ds {
		if keep(d) && (best < 0 || older(d, ds[best])) {
			best = i
		}
	}
	return best
}

// Add appends the new device d (the Service adds unverified ones), never
// as the default. With maxDevices devices already there, the oldest
// unverified one gives way to it (each visit to an enrollment page makes
// one, and a user without a verified device cannot get the MFA token that
// deleting one needs); with maxDevices verified devices it returns
// ErrTooManyDevices. ErrDuplicate: d.ID is taken.
func (ds Devices) Add(d DeviceRecord, maxDevices int) (Devices, error) {
	if ds.index(d.ID) >= 0 {
		return nil, ErrDuplicate
	}
	for len(ds) >= maxDevices {
		i := ds.oldest(func(x DeviceRecord) bool { return !x.Verified })
		if i < 0 {
			return nil, ErrTooManyDevices
		}
		ds = slices.Delete(ds, i, i+1)
	}
	d.Default = false // only a verified device can be the default
	return append(ds, d), nil
}

// Confirm marks the unverified device id verified at now with its first
// accepted TOTP step, and makes it the default if no device is. Errors:
// ErrNotFound, ErrAlreadyConfirmed, ErrStepUsed (step not above LastStep).
func (ds Devices) Confirm(id string, step uint64, now time.Time) (Devices, error) {
	i := ds.index(id)
	switch {
	case i < 0:
		return nil, ErrNotFound
	case ds[i].Verified:
		return nil, ErrAlreadyConfirmed
	case step <= ds[i].LastStep:
		return nil, ErrStepUsed
	}
	ds[i].Verified, ds[i].VerifiedAt, ds[i].LastStep = true, now, step
	ds[i].Default = !slices.ContainsFunc(ds, func(d DeviceRecord) bool { return d.Default })
	return ds, nil
}

// Delete removes the device id (ErrNotFound if absent). If it was the
// default, the oldest remaining verified device becomes the default.
func (ds Devices) Delete(id string) (Devices, error) {
	i := ds.index(id)
	if i < 0 {
		return nil, ErrNotFound
	}
	wasDefault := ds[i].Default
	ds = slices.Delete(ds, i, i+1)
	if wasDefault {
		if j := ds.oldest(func(x DeviceRecord) bool { return x.Verified }); j >= 0 {
			ds[j].Default = true
		}
	}
	return ds, nil
}

// SetDefault makes the verified device id the default and every other
// device not the default. ErrNotFound: no such verified device.
func (ds Devices) SetDefault(id string) (Devices, error) {
	i := ds.index(id)
	if i < 0 || !ds[i].Verified {
		return nil, ErrNotFound
	}
	for j := range ds {
		ds[j].Default = j == i
	}
	return ds, nil
}

// Default returns the device tried when no device id is given: the one
// marked default, else (never after the rules above) the oldest verified
// device. ok is false without a verified device.
func (ds Devices) Default() (d DeviceRecord, ok bool) {
	if i := slices.IndexFunc(ds, func(x DeviceRecord) bool { return x.Verified && x.Default }); i >= 0 {
		return ds[i], true
	}
	if i := ds.oldest(func(x DeviceRecord) bool { return x.Verified }); i >= 0 {
		return ds[i], true
	}
	return DeviceRecord{}, false
}
