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

func TestParseFingerprintFlags(t *testing.T) {
	cfg, err := parseFlags([]string{"-pd", "1", "-fingerprint", "/tmp/fp"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, uint32(0xFFFFFFFF), cfg.FingerAddr, "factory address")
	assert.Zero(t, cfg.FingerPassword, "no password")
	assert.Equal(t, 128, cfg.FingerPacketSize)
	assert.Equal(t, "r307", cfg.FingerTiming, "a real module's timing")

	cfg, err = parseFlags([]string{"-pd", "1", "-fingerprint", "/tmp/fp", "-fingerprint-addr", "0x01020304",
		"-fingerprint-password", "0xdeadbeef", "-fingerprint-packet-size", "32", "-fingerprint-timing", "instant"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, uint32(0x01020304), cfg.FingerAddr)
	assert.Equal(t, uint32(0xDEADBEEF), cfg.FingerPassword)
	assert.Equal(t, 32, cfg.FingerPacketSize)
	assert.Equal(t, "instant", cfg.FingerTiming)
	fc, err := cfg.fingerprintConfig()
	require.NoError(t, err)
	assert.Zero(t, fc.Timing)

	for _, bad := range [][]string{
		{"-fingerprint-addr", "0"},
		{"-fingerprint-addr", "0x100000000"},
		{"-fingerprint-password", "-1"},
		{"-fingerprint-packet-size", "100"},
		{"-fingerprint-timing", "slow"},
	} {
		_, err := parseFlags(append([]string{"-pd", "1", "-fingerprint", "/tmp/fp"}, bad...), io.Discard)
		assert.Error(t, err, "%q", bad)
	}
}
