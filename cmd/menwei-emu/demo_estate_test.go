package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nkeys"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	daemonconfig "menwei/controller/config"
)

// demo-estate.sh writes an office's config and a config per gate that
// menweid accepts, and they fit together: the office accepts exactly the
// gates there are, each by the public half of the seed that gate holds; the
// gates dial the office's listener and verify its certificate; no port is
// used twice.
func TestDemoEstateConfigsFitTogether(t *testing.T) {
	ctl := filepath.Join(t.TempDir(), "menweictl")
	out, err := exec.Command("go", "build", "-o", ctl, "../menweictl").CombinedOutput()
	require.NoError(t, err, "%s", out)
	dir := t.TempDir()
	out, err = bannerOnly(dir, ctl).CombinedOutput()
	require.NoError(t, err, "%s", out)

	parse := func(name string) daemonconfig.Config {
		raw, err := os.ReadFile(filepath.Join(dir, name, "menwei.yaml"))
		require.NoError(t, err)
		c, err := daemonconfig.Parse(raw, filepath.Join(dir, name))
		require.NoError(t, err, "%s's config is valid", name)
		return c
	}
	office := parse("office")
	require.Equal(t, "office", office.Estate.Role)
	assert.Empty(t, office.Buses, "the office has no terminals")
	ports := map[string]string{office.HTTP.Listen: "office http", office.Estate.Listen: "office leafnode"}
	require.Len(t, office.Estate.Gates, 2)
	for _, g := range office.Estate.Gates {
		c := parse(g.Name)
		assert.Equal(t, "gate", c.Estate.Role)
		assert.Equal(t, g.Name, c.Estate.Gate)
		assert.Equal(t, "tls://"+office.Estate.Listen, c.Estate.OfficeURL, "%s dials the office", g.Name)
		seed, err := os.ReadFile(c.Estate.NKeySeedFile)
		require.NoError(t, err)
		kp, err := nkeys.FromSeed([]byte(strings.TrimSpace(string(seed))))
		require.NoError(t, err)
		pub, err := kp.PublicKey()
		require.NoError(t, err)
		assert.Equal(t, g.NKey, pub, "the office knows %s by its own key", g.Name)
		fi, err := os.Stat(c.Estate.NKeySeedFile)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "%s's seed is private", g.Name)
		ca, err := os.ReadFile(c.Estate.TLS.CA)
		require.NoError(t, err)
		cert, err := os.ReadFile(office.Estate.TLS.Cert)
		require.NoError(t, err)
		assert.Equal(t, cert, ca, "%s verifies the office's certificate", g.Name)
		assert.NotEmpty(t, c.Doors)
		assert.NotContains(t, ports, c.HTTP.Listen, "%s's http port is its own", g.Name)
		ports[c.HTTP.Listen] = g.Name
		assert.Contains(t, string(out), "console http://"+c.HTTP.Listen+"/console.html", "the banner names %s's console", g.Name)
	}
	assert.Contains(t, string(out), "console http://"+office.HTTP.Listen+"/console.html")

	// Run again: the keys a checkout made are kept (a gate keeps its key).
	before, err := os.ReadFile(filepath.Join(dir, "office", "menwei.yaml"))
	require.NoError(t, err)
	out, err = bannerOnly(dir, ctl).CombinedOutput()
	require.NoError(t, err, "%s", out)
	after, err := os.ReadFile(filepath.Join(dir, "office", "menwei.yaml"))
	require.NoError(t, err)
	assert.Equal(t, string(before), string(after))
}

// bannerOnly runs demo-estate.sh --banner-only dir with menweictl ctl.
func bannerOnly(dir, ctl string) *exec.Cmd {
	cmd := exec.Command("bash", "demo-estate.sh", "--banner-only", dir)
	cmd.Env = append(os.Environ(), "MENWEICTL="+ctl)
	return cmd
}
