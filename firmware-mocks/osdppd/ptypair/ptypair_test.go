package ptypair_test

import (
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"menwei/firmware-mocks/osdppd/ptypair"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRawBothWays(t *testing.T) {
	p, err := ptypair.Open()
	require.NoError(t, err)
	defer p.Close()
	assert.FileExists(t, p.Path)

	// Every byte value crosses unchanged: no CR/LF translation, no echo,
	// no signal characters, no flow control.
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	for _, dir := range []struct {
		name string
		w, r *os.File
	}{{"master to slave", p.Master, p.Slave}, {"slave to master", p.Slave, p.Master}} {
		t.Run(dir.name, func(t *testing.T) {
			_, err := dir.w.Write(all)
			require.NoError(t, err)
			require.NoError(t, dir.r.SetReadDeadline(time.Now().Add(10*time.Second)))
			got := make([]byte, len(all))
			_, err = io.ReadFull(dir.r, got)
			require.NoError(t, err)
			assert.Equal(t, all, got)
		})
	}
}

func TestMasterDeadline(t *testing.T) {
	p, err := ptypair.Open()
	require.NoError(t, err)
	defer p.Close()
	require.NoError(t, p.Master.SetReadDeadline(time.Unix(1, 0)))
	_, err = p.Master.Read(make([]byte, 1))
	assert.True(t, errors.Is(err, os.ErrDeadlineExceeded), "got %v", err)
}

func TestCloseTwice(t *testing.T) {
	p, err := ptypair.Open()
	require.NoError(t, err)
	assert.NoError(t, p.Close())
	assert.NoError(t, p.Close())
}
