package postgres_test

import (
	"testing"

	"github.com/authkit/authkit/devicebind"
	"github.com/authkit/authkit/devicebind/devicebindtest"
	"github.com/authkit/authkit/store/postgres"
)

func TestDeviceNonceStore(t *testing.T) {
	s, _ := newStore(t, postgres.Options{})
	devicebindtest.RunStoreTests(t, func(*testing.T) devicebind.Store { return s.DeviceNonces() })
}
