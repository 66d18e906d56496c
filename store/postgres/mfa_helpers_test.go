package postgres_test

import "github.com/authkit/authkit/mfa/mfatest"

// The mfa.Devices rules through the store's UpdateDevices, as mfa.Service
// runs them.
var (
	createDevice  = mfatest.AddDevice
	confirmDevice = mfatest.ConfirmDevice
	deleteDevice  = mfatest.DeleteDevice
)
