package osdppd_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/devices/osdp"
	"menwei/firmware-mocks/osdppd"
)

func outTo(n byte) osdp.Out {
	return osdp.Out{Records: []osdp.OutRecord{{Output: n, Control: osdp.OutPermOnAbort}}}
}

func TestWaitCommandMissesNothing(t *testing.T) {
	p := newPD(t, osdppd.Config{Install: true})
	c := newCP(t, p)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// Two OUTs before anyone asks, buried under POLLs.
	c.do(outTo(0))
	for range 1500 {
		c.do(osdp.Poll{})
	}
	c.do(outTo(1))
	assert.Len(t, p.Commands(), 1000, "the overall history is bounded")

	m, err := p.WaitCommand(ctx, osdp.CmdOUT)
	require.NoError(t, err)
	assert.Equal(t, outTo(0), m)
	m, err = p.WaitCommand(ctx, osdp.CmdOUT)
	require.NoError(t, err)
	assert.Equal(t, outTo(1), m)

	// The next one has not come yet: WaitCommand waits for it.
	got := make(chan osdp.Message, 1)
	go func() {
		m, err := p.WaitCommand(ctx, osdp.CmdOUT)
		if err == nil {
			got <- m
		}
		close(got)
	}()
	c.do(osdp.Poll{})
	c.do(outTo(2))
	assert.Equal(t, outTo(2), <-got)
}

func TestWaitCommandCancelled(t *testing.T) {
	p := newPD(t, osdppd.Config{Install: true})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := p.WaitCommand(ctx, osdp.CmdLED)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestCommandsInOrder(t *testing.T) {
	p := newPD(t, osdppd.Config{Install: true})
	c := newCP(t, p)
	c.do(osdp.IDReq{})
	c.do(osdp.CapReq{})
	c.do(osdp.Poll{})
	c.send(0x7F, nil) // unknown: not run, not recorded
	c.do(outTo(3))
	assert.Equal(t, []osdp.Message{osdp.IDReq{}, osdp.CapReq{}, osdp.Poll{}, outTo(3)}, p.Commands())
}
