package mfa_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/authkit/authkit/mfa"
)

// A store runs the device rules atomically through UpdateDevices; here two
// verified devices and one unverified one sit at a cap of 3, a new
// enrollment replaces the unverified one, and deleting the default
// promotes the oldest remaining verified device.
func ExampleDevices() {
	ctx := context.Background()
	store := mfa.NewMemoryStore()
	t0 := time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC)
	add := func(id string, at time.Time) error {
		d := mfa.DeviceRecord{ID: id, UserID: "u", Type: mfa.DeviceTypeTOTP, SealedSecret: []byte{1}, CreatedAt: at}
		return store.UpdateDevices(ctx, "u", func(ds mfa.Devices) (mfa.Devices, error) { return ds.Add(d, 3) })
	}
	confirm := func(id string) error {
		return store.UpdateDevices(ctx, "u", func(ds mfa.Devices) (mfa.Devices, error) { return ds.Confirm(id, 1, t0) })
	}
	show := func() {
		list, _ := store.ListDevices(ctx, "u")
		var out []string
		for _, d := range list {
			out = append(out, fmt.Sprintf("%s verified=%v default=%v", d.ID, d.Verified, d.Default))
		}
		fmt.Println(strings.Join(out, "; "))
	}
	_ = add("a", t0)
	_ = add("b", t0.Add(time.Minute))
	_ = add("c", t0.Add(2*time.Minute))
	_ = confirm("a") // the first confirmed device becomes the default
	_ = confirm("c")
	_ = add("d", t0.Add(3*time.Minute)) // at the cap: b, unverified, gives way
	show()
	_ = store.UpdateDevices(ctx, "u", func(ds mfa.Devices) (mfa.Devices, error) { return ds.Delete("a") })
	show()
	// Output:
	// a verified=true default=true; c verified=true default=false; d verified=false default=false
	// c verified=true default=true; d verified=false default=false
}
