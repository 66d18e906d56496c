package redis

import (
	"testing"

	"github.com/authkit/authkit/devicebind"
	"github.com/authkit/authkit/devicebind/devicebindtest"
)

func TestDeviceNonceConformance(t *testing.T) {
	devicebindtest.RunStoreTests(t, func(t *testing.T) devicebind.Store { return newTestStore(t).DeviceNonces() })
}
