package eventlog

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves a goroutine behind: the log's
// writer, a Badger database or an export.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
