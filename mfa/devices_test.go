package mfa

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// devs builds a device list from a compact spec: one entry per device,
// "id" unverified, "id+" verified, "id*" verified and default; the
// CreatedAt order is the spec's order.
func devs(spec ...string) Devices {
	var out Devices
	for i, s := range spec {
		d := DeviceRecord{ID: s, UserID: "u", CreatedAt: t0.Add(time.Duration(i) * time.Second)}
		switch s[len(s)-1] {
		case '*':
			d.ID, d.Verified, d.Default = s[:len(s)-1], true, true
		case '+':
			d.ID, d.Verified = s[:len(s)-1], true
		}
		out = append(out, d)
	}
	return out
}

// spec renders a list back in devs' notation, in list order.
func spec(ds Devices) []string {
	out := []string{}
	for _, d := range ds {
		s := d.ID
		switch {
		case d.Default && d.Verified:
			s += "*"
		case d.Default:
			s += "!" // never produced by a rule: an unverified default
		case d.Verified:
			s += "+"
		}
		out = append(out, s)
	}
	return out
}

func TestDevicesRules(t *testing.T) {
	later := t0.Add(time.Hour)
	tests := []struct {
		name    string
		in      Devices
		rule    func(Devices) (Devices, error)
		want    []string
		wantErr error
	}{
		{"add under the cap", devs("a*", "b"), func(ds Devices) (Devices, error) {
			return ds.Add(DeviceRecord{ID: "c", CreatedAt: later}, 3)
		}, []string{"a*", "b", "c"}, nil},
		{"add never as default", devs(), func(ds Devices) (Devices, error) {
			return ds.Add(DeviceRecord{ID: "c", Default: true, CreatedAt: later}, 3)
		}, []string{"c"}, nil},
		{"add at the cap: oldest unverified gives way", devs("a*", "b", "c+", "d"), func(ds Devices) (Devices, error) {
			return ds.Add(DeviceRecord{ID: "e", CreatedAt: later}, 4)
		}, []string{"a*", "c+", "d", "e"}, nil},
		{"add over the cap after lowering it", devs("a", "b", "c+"), func(ds Devices) (Devices, error) {
			return ds.Add(DeviceRecord{ID: "e", CreatedAt: later}, 2)
		}, []string{"c+", "e"}, nil},
		{"add at the cap, all verified", devs("a*", "b+"), func(ds Devices) (Devices, error) {
			return ds.Add(DeviceRecord{ID: "e", CreatedAt: later}, 2)
		}, nil, ErrTooManyDevices},
		{"add a taken id", devs("a*"), func(ds Devices) (Devices, error) {
			return ds.Add(DeviceRecord{ID: "a", CreatedAt: later}, 5)
		}, nil, ErrDuplicate},
		{"confirm the first: default", devs("a", "b"), func(ds Devices) (Devices, error) {
			return ds.Confirm("b", 7, later)
		}, []string{"a", "b*"}, nil},
		{"confirm another: not default", devs("a*", "b"), func(ds Devices) (Devices, error) {
			return ds.Confirm("b", 7, later)
		}, []string{"a*", "b+"}, nil},
		{"confirm twice", devs("a*"), func(ds Devices) (Devices, error) { return ds.Confirm("a", 7, later) }, nil, ErrAlreadyConfirmed},
		{"confirm missing", devs("a"), func(ds Devices) (Devices, error) { return ds.Confirm("x", 7, later) }, nil, ErrNotFound},
		{"confirm step 0", devs("a"), func(ds Devices) (Devices, error) { return ds.Confirm("a", 0, later) }, nil, ErrStepUsed},
		{"delete a non-default", devs("a*", "b+"), func(ds Devices) (Devices, error) { return ds.Delete("b") }, []string{"a*"}, nil},
		{"delete the default: oldest verified promoted", devs("a", "b*", "c", "d+", "e+"), func(ds Devices) (Devices, error) {
			return ds.Delete("b")
		}, []string{"a", "c", "d*", "e+"}, nil},
		{"delete the last verified", devs("a*", "b"), func(ds Devices) (Devices, error) { return ds.Delete("a") }, []string{"b"}, nil},
		{"delete missing", devs("a*"), func(ds Devices) (Devices, error) { return ds.Delete("x") }, nil, ErrNotFound},
		{"set default", devs("a*", "b+", "c"), func(ds Devices) (Devices, error) { return ds.SetDefault("b") }, []string{"a+", "b*", "c"}, nil},
		{"set default again", devs("a*", "b+"), func(ds Devices) (Devices, error) { return ds.SetDefault("a") }, []string{"a*", "b+"}, nil},
		{"set default unverified", devs("a*", "c"), func(ds Devices) (Devices, error) { return ds.SetDefault("c") }, nil, ErrNotFound},
		{"set default missing", devs("a*"), func(ds Devices) (Devices, error) { return ds.SetDefault("x") }, nil, ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.rule(tc.in)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error = %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr == nil && !slices.Equal(spec(got), tc.want) {
				t.Fatalf("devices = %v, want %v", spec(got), tc.want)
			}
		})
	}
}

func TestDevicesConfirmSetsFields(t *testing.T) {
	at := t0.Add(time.Hour)
	ds, err := devs("a").Confirm("a", 42, at)
	if err != nil {
		t.Fatal(err)
	}
	if d := ds[0]; !d.Verified || !d.VerifiedAt.Equal(at) || d.LastStep != 42 || !d.Default {
		t.Fatalf("confirmed device = %+v", d)
	}
}

func TestDevicesDefault(t *testing.T) {
	tests := []struct {
		in     Devices
		want   string
		wantOK bool
	}{
		{devs(), "", false},
		{devs("a", "b"), "", false},
		{devs("a", "b+", "c*"), "c", true},
		{devs("a", "b+", "c+"), "b", true}, // no flag (a store written by hand): oldest verified
	}
	for _, tc := range tests {
		d, ok := tc.in.Default()
		if ok != tc.wantOK || d.ID != tc.want {
			t.Errorf("Default of %v = %q, %v; want %q, %v", spec(tc.in), d.ID, ok, tc.want, tc.wantOK)
		}
	}
}
