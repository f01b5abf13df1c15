package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runMainEnv makes the test binary run menweid's main with these arguments.
const runMainEnv = "MENWEID_TEST_MAIN_ARGS"

// runMain runs main in a child process and returns its exit code, standard
// output and standard error.
func runMain(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), runMainEnv+"="+strings.Join(args, " "))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), stdout.String(), stderr.String()
	}
	require.NoError(t, err)
	return 0, stdout.String(), stderr.String()
}

// Asking for help is not an error: the usage goes to standard output and
// menweid exits 0. A wrong flag is a usage error (2) on standard error.
func TestHelpExitsZero(t *testing.T) {
	for _, arg := range []string{"-h", "--help", "-help"} {
		code, stdout, stderr := runMain(t, arg)
		assert.Equal(t, 0, code, "%s: %s", arg, stderr)
		assert.Contains(t, stdout, "usage: menweid", arg)
		assert.Contains(t, stdout, "-config", arg)
		assert.NotContains(t, stderr, "help requested", arg)
	}
	code, stdout, stderr := runMain(t, "-no-such-flag")
	assert.Equal(t, 2, code)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "usage: menweid")
	code, _, stderr = runMain(t, "-log-level", "loud")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "debug, info, warn or error")
}

// -check validates a configuration and exits without starting anything: 0
// and a summary for a valid file (devices not plugged in yet are warnings),
// 2 naming the field for an invalid one. Neither creates the data directory.
func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	data := dir + "/data"
	good := `
store: { dir: ` + data + ` }
buses:
  - name: rs485
    device: /dev/ttyMENWEI-none
    pds: [{ name: r1, address: 1, scbk: 000102030405060708090a0b0c0d0e0f }]
doors:
  - name: gate
    readers: [{ pd: r1 }]
    lock: { pd: r1, output: 0 }
`
	file := dir + "/menwei.yaml"
	require.NoError(t, os.WriteFile(file, []byte(good), 0o600))
	code, stdout, stderr := runMain(t, "-check", "-config", file)
	assert.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "valid (1 doors, 1 buses")
	assert.Contains(t, stdout, "warning: bus rs485: serial device /dev/ttyMENWEI-none is not there yet")
	assert.NoDirExists(t, data, "checking starts nothing")

	bad := strings.Replace(good, "lock: { pd: r1", "lock: { pd: r9", 1)
	require.NoError(t, os.WriteFile(file, []byte(bad), 0o600))
	code, stdout, stderr = runMain(t, "-check", "-config", file)
	assert.Equal(t, 2, code)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, `doors[0].lock.pd: no pd named \"r9\"`)
	assert.NoDirExists(t, data)
}
