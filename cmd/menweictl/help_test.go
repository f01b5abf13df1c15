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

// runMainEnv makes the test binary run menweictl's main with these
// arguments (see TestMain).
const runMainEnv = "MENWEICTL_TEST_MAIN_ARGS"

func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv(runMainEnv); ok {
		os.Args = append([]string{"menweictl"}, strings.Fields(args)...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runMain runs main in a child process: exit code, stdout, stderr.
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

// Help asked for is printed to standard output and exits 0, at the top,
// for a command and for a remote command; a wrong flag still exits 2.
func TestHelpExitsZero(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--help"}, "usage: menweictl [-config FILE | -store DIR] COMMAND"},
		{[]string{"-h"}, "cards blacklist"},
		{[]string{"residents", "add", "-h"}, "usage: menweictl residents add -id ID"},
		{[]string{"events", "--help"}, "-limit"},
		{[]string{"-api", "http://127.0.0.1:1", "--help"}, "remote commands"},
		{[]string{"-api", "http://127.0.0.1:1", "events", "-h"}, "usage: menweictl -api URL events"},
	} {
		code, stdout, stderr := runMain(t, tt.args...)
		assert.Equal(t, 0, code, "%v: %s", tt.args, stderr)
		assert.Contains(t, stdout, tt.want, tt.args)
		assert.NotContains(t, stderr, "help requested", tt.args)
	}
	code, stdout, stderr := runMain(t, "-no-such-flag")
	assert.Equal(t, 2, code)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "flag provided but not defined")
}
