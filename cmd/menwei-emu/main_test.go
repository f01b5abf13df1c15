package main

import (
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestParseFlags(t *testing.T) {
	key := "0102030405060708090a0b0c0d0e0f10"
	cfg, err := parseFlags([]string{"-link", "/tmp/tty", "-pd", "1", "-pd", "0x20:" + key, "-pd", "3:install", "-pd", "4:" + key + ":install", "-key-dir", "/k"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "/tmp/tty", cfg.Link)
	assert.Equal(t, "127.0.0.1:7071", cfg.Control, "loopback by default")
	assert.Equal(t, "/k", cfg.KeyDir)
	require.Len(t, cfg.PDs, 4)
	assert.Equal(t, pdSpec{Addr: 1}, cfg.PDs[0])
	assert.Equal(t, byte(0x20), cfg.PDs[1].Addr)
	assert.Len(t, cfg.PDs[1].SCBK, 16)
	assert.Equal(t, pdSpec{Addr: 3, Install: true}, cfg.PDs[2])
	assert.True(t, cfg.PDs[3].Install)
	assert.Len(t, cfg.PDs[3].SCBK, 16)

	for _, bad := range [][]string{
		{},                // no PD
		{"-pd", "127"},    // broadcast address
		{"-pd", "x"},      // not a number
		{"-pd", "1:0102"}, // short key
		{"-pd", "1:" + key + ":" + key},
		{"-pd", "1", "-pd", "1"}, // same address twice
		{"-pd", "1", "extra"},    // stray argument
	} {
		_, err := parseFlags(bad, io.Discard)
		assert.Error(t, err, "%q", bad)
	}
}
