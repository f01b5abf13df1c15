package fingers_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves a goroutine behind: a
// module's goroutine, a driver's reader, an emulator.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
