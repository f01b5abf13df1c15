package fpm_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/devices/fpm"
	"menwei/devices/serialport"
	"menwei/devices/serialport/serialporttest"
	"menwei/firmware-mocks/fpmodule"
)

// rig is the driver on a real pseudo-terminal, opened through serialport
// like a UART, to an emulated module serving the pty master.
type rig struct {
	emu *fpmodule.Module
	mod *fpm.Module
}

func startRig(t *testing.T, cfg fpm.Config, ecfg fpmodule.Config) rig {
	t.Helper()
	master, slave := serialporttest.PtyPair(t)
	emu, err := fpmodule.New(ecfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- emu.Serve(ctx, master) }()

	port, err := serialport.Open(serialport.Config{Device: slave, Baud: 57600})
	require.NoError(t, err)
	cfg.Port = port
	mod, err := fpm.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		require.NoError(t, mod.Close())
		cancel()
		require.NoError(t, <-served)
	})
	return rig{emu: emu, mod: mod}
}

// enrol captures the finger twice, merges and stores it at page.
func (r rig) enrol(t *testing.T, finger, page int) {
	t.Helper()
	ctx := t.Context()
	r.emu.PutFinger(finger)
	require.NoError(t, r.mod.Capture(ctx))
	require.NoError(t, r.mod.ToBuffer(ctx, fpm.CharBuffer1))
	require.NoError(t, r.mod.Capture(ctx))
	require.NoError(t, r.mod.ToBuffer(ctx, fpm.CharBuffer2))
	score, err := r.mod.Match(ctx)
	require.NoError(t, err)
	assert.Equal(t, 160, score, "two captures of one finger")
	require.NoError(t, r.mod.Merge(ctx))
	require.NoError(t, r.mod.Store(ctx, fpm.CharBuffer1, page))
}

// identify captures the finger and searches the whole library for it.
func (r rig) identify(t *testing.T, finger int) (page, score int, err error) {
	t.Helper()
	ctx := t.Context()
	r.emu.PutFinger(finger)
	require.NoError(t, r.mod.Capture(ctx))
	require.NoError(t, r.mod.ToBuffer(ctx, fpm.CharBuffer1))
	return r.mod.Search(ctx, fpm.CharBuffer1, 0, 300)
}

func TestEnrolTransferAndSearch(t *testing.T) {
	ctx := t.Context()
	a := startRig(t, fpm.Config{}, fpmodule.Config{})
	b := startRig(t, fpm.Config{}, fpmodule.Config{})

	sp, err := a.mod.Handshake(ctx)
	require.NoError(t, err)
	assert.Equal(t, fpm.SysParams{Status: 4, SystemID: 9, Capacity: 300, SecurityLevel: 3,
		Addr: fpm.DefaultAddr, PacketSize: 128, Baud: 57600}, sp)

	a.enrol(t, 7, 5)
	tmpl, err := a.mod.Upload(ctx, fpm.CharBuffer1)
	require.NoError(t, err)
	assert.Equal(t, fpmodule.Finger(7), tmpl)

	// Into a second module, at the same page.
	_, err = b.mod.Handshake(ctx)
	require.NoError(t, err)
	require.NoError(t, b.mod.Download(ctx, fpm.CharBuffer1, tmpl))
	require.NoError(t, b.mod.Store(ctx, fpm.CharBuffer1, 5))
	assert.Equal(t, map[int]bool{5: true}, b.emu.Slots())

	page, score, err := b.identify(t, 7)
	require.NoError(t, err)
	assert.Equal(t, 5, page)
	assert.GreaterOrEqual(t, score, 50)
	assert.LessOrEqual(t, score, 200)

	_, _, err = b.identify(t, 8)
	assert.ErrorIs(t, err, fpm.ErrNotFound)
	var ce *fpm.ConfirmError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, fpm.InsSearch, ce.Cmd)

	for _, r := range []rig{a, b} {
		used, err := r.mod.Index(ctx)
		require.NoError(t, err)
		assert.Equal(t, []int{5}, used)
		n, err := r.mod.Count(ctx)
		require.NoError(t, err)
		assert.Equal(t, 1, n)
	}
}

func TestLibraryManagement(t *testing.T) {
	ctx := t.Context()
	r := startRig(t, fpm.Config{}, fpmodule.Config{Slots: 1000, PacketSize: 32})
	_, err := r.mod.Handshake(ctx)
	require.NoError(t, err)
	for _, p := range []int{0, 255, 256, 999} {
		r.enrol(t, p+1, p)
	}
	used, err := r.mod.Index(ctx)
	require.NoError(t, err)
	assert.Equal(t, []int{0, 255, 256, 999}, used)

	// Load a stored template back and check it against a fresh capture.
	require.NoError(t, r.mod.Load(ctx, fpm.CharBuffer2, 256))
	r.emu.PutFinger(257)
	require.NoError(t, r.mod.Capture(ctx))
	require.NoError(t, r.mod.ToBuffer(ctx, fpm.CharBuffer1))
	score, err := r.mod.Match(ctx)
	require.NoError(t, err)
	assert.Equal(t, 180, score)

	require.NoError(t, r.mod.Delete(ctx, 250, 10))
	used, err = r.mod.Index(ctx)
	require.NoError(t, err)
	assert.Equal(t, []int{0, 999}, used)
	assert.ErrorIs(t, r.mod.Load(ctx, fpm.CharBuffer1, 256), fpm.ErrBadTemplate)
	assert.ErrorIs(t, r.mod.Store(ctx, fpm.CharBuffer1, 1000), fpm.ErrBadPage)

	require.NoError(t, r.mod.Empty(ctx))
	n, err := r.mod.Count(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
	assert.Empty(t, r.emu.Slots())
}

func TestCaptureFailures(t *testing.T) {
	ctx := t.Context()
	r := startRig(t, fpm.Config{}, fpmodule.Config{})
	assert.ErrorIs(t, r.mod.Capture(ctx), fpm.ErrNoFinger)
	r.emu.PutFinger(1)
	r.emu.BadImage()
	assert.ErrorIs(t, r.mod.Capture(ctx), fpm.ErrBadImage)
	require.NoError(t, r.mod.Capture(ctx))
	require.NoError(t, r.mod.ToBuffer(ctx, fpm.CharBuffer1))
	r.emu.PutFinger(2)
	require.NoError(t, r.mod.Capture(ctx))
	require.NoError(t, r.mod.ToBuffer(ctx, fpm.CharBuffer2))
	_, err := r.mod.Match(ctx)
	assert.ErrorIs(t, err, fpm.ErrNoMatch)
	assert.ErrorIs(t, r.mod.Merge(ctx), fpm.ErrMergeFailed)
}

func TestSilentModuleTimesOutAndRecovers(t *testing.T) {
	ctx := t.Context()
	r := startRig(t, fpm.Config{Timeout: 300 * time.Millisecond}, fpmodule.Config{})
	r.emu.PutFinger(3)
	r.emu.Silent(true)
	err := r.mod.Capture(ctx)
	require.ErrorIs(t, err, fpm.ErrTimeout)
	assert.Contains(t, err.Error(), "GenImg")
	_, err = r.mod.Upload(ctx, fpm.CharBuffer1)
	require.ErrorIs(t, err, fpm.ErrTimeout)

	r.emu.Silent(false)
	require.NoError(t, r.mod.Capture(ctx))
	require.NoError(t, r.mod.ToBuffer(ctx, fpm.CharBuffer1))
	_, err = r.mod.Upload(ctx, fpm.CharBuffer1)
	require.NoError(t, err)
}

func TestGarbageOnTheLine(t *testing.T) {
	ctx := t.Context()
	r := startRig(t, fpm.Config{}, fpmodule.Config{})
	r.emu.Garbage(true)
	_, err := r.mod.Handshake(ctx)
	require.NoError(t, err)
	r.enrol(t, 7, 9)
	tmpl, err := r.mod.Upload(ctx, fpm.CharBuffer1)
	require.NoError(t, err)
	assert.Equal(t, fpmodule.Finger(7), tmpl)
	page, _, err := r.identify(t, 7)
	require.NoError(t, err)
	assert.Equal(t, 9, page)
}

func TestPasswordAndReplacedModule(t *testing.T) {
	ctx := t.Context()
	r := startRig(t, fpm.Config{Password: 0x5EC2E7}, fpmodule.Config{Password: 0x5EC2E7})
	_, err := r.mod.Count(ctx)
	assert.ErrorIs(t, err, fpm.ErrPasswordRequired)
	assert.ErrorIs(t, r.mod.VerifyPassword(ctx, 1), fpm.ErrBadPassword)
	_, err = r.mod.Handshake(ctx)
	require.NoError(t, err)
	r.enrol(t, 7, 2)

	// A replaced module: empty, and locked until the next handshake.
	r.emu.Wipe()
	_, err = r.mod.Index(ctx)
	assert.ErrorIs(t, err, fpm.ErrPasswordRequired)
	_, err = r.mod.Handshake(ctx)
	require.NoError(t, err)
	used, err := r.mod.Index(ctx)
	require.NoError(t, err)
	assert.Empty(t, used)
}

func TestOtherAddress(t *testing.T) {
	ctx := t.Context()
	r := startRig(t, fpm.Config{Addr: 0x0000BEEF, Timeout: 300 * time.Millisecond},
		fpmodule.Config{Addr: 0x0000BEEF})
	sp, err := r.mod.Handshake(ctx)
	require.NoError(t, err)
	assert.Equal(t, uint32(0x0000BEEF), sp.Addr)

	wrong := startRig(t, fpm.Config{Timeout: 300 * time.Millisecond}, fpmodule.Config{Addr: 0x0000BEEF})
	assert.ErrorIs(t, wrong.mod.Capture(ctx), fpm.ErrTimeout, "a module at another address does not answer")
}

func TestCloseIsIdempotent(t *testing.T) {
	r := startRig(t, fpm.Config{}, fpmodule.Config{})
	require.NoError(t, r.mod.Close())
	require.NoError(t, r.mod.Close())
	assert.ErrorIs(t, r.mod.Capture(t.Context()), fpm.ErrClosed)
}
