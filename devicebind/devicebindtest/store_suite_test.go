package devicebindtest_test

import (
	"testing"

	"github.com/authkit/authkit/devicebind"
	"github.com/authkit/authkit/devicebind/devicebindtest"
)

func TestRunStoreTestsMemory(t *testing.T) {
	devicebindtest.RunStoreTests(t, func(*testing.T) devicebind.Store { return devicebind.NewMemoryStore() })
}
