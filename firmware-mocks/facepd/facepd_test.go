package facepd

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/devices/faceterm"
	"menwei/devices/osdp"
)

// cp is a tiny plaintext control panel for driving the terminal's Handle.
type cp struct {
	t   *testing.T
	pd  *Terminal
	seq byte
}

func (c *cp) do(m osdp.Message) osdp.Frame {
	c.t.Helper()
	c.seq = c.seq%3 + 1
	raw, err := osdp.AppendEncode(nil, osdp.Frame{Addr: 7, Seq: c.seq, CRC: true, Code: m.Code(), Data: m.AppendData(nil)})
	require.NoError(c.t, err)
	in, _, err := osdp.Decode(raw)
	require.NoError(c.t, err)
	out, _, err := osdp.Decode(c.pd.Handle(in))
	require.NoError(c.t, err)
	return out
}

// drain polls until the terminal has nothing to report, returning the face messages.
func (c *cp) drain() []any {
	var msgs []any
	for range 1000 {
		r := c.do(osdp.Poll{})
		if r.Code == osdp.ReplyACK {
			return msgs
		}
		require.Equal(c.t, byte(osdp.ReplyMFGREP), r.Code)
		m, err := osdp.ParseReply(r.Code, r.Data)
		require.NoError(c.t, err)
		rep := m.(osdp.MfgRep)
		require.Equal(c.t, faceterm.VendorCode, rep.Vendor)
		fm, err := faceterm.Decode(rep.Data)
		require.NoError(c.t, err)
		msgs = append(msgs, fm)
	}
	c.t.Fatal("never drained")
	return nil
}

func fakeEmbed(_ context.Context, jpeg []byte) ([128]float32, error) {
	var d [128]float32
	if bytes.Contains(jpeg, []byte("noface")) {
		return d, errors.New("no face")
	}
	for i := range d {
		d[i] = float32(jpeg[i%len(jpeg)]) / 1000
	}
	return d, nil
}

func newCP(t *testing.T, cfg Config) *cp {
	cfg.PD.Addr = 7
	pd, err := New(cfg)
	require.NoError(t, err)
	c := &cp{t: t, pd: pd}
	c.seq = 3
	raw, _ := osdp.AppendEncode(nil, osdp.Frame{Addr: 7, Seq: 0, CRC: true, Code: osdp.CmdID, Data: []byte{0}})
	in, _, _ := osdp.Decode(raw)
	require.NotNil(t, pd.Handle(in))
	c.seq = 0
	return c
}

func TestJPEGModeSendsFragmentsThatReassemble(t *testing.T) {
	c := newCP(t, Config{Mode: JPEGMode, FragmentSize: 300})
	big := image.NewRGBA(image.Rect(0, 0, 1600, 1000))
	for i := range big.Pix {
		big.Pix[i] = byte(i * 7)
	}
	var photo bytes.Buffer
	require.NoError(t, jpeg.Encode(&photo, big, nil))
	c.pd.SetLiveness(42)
	require.NoError(t, c.pd.Show(context.Background(), photo.Bytes()))
	msgs := c.drain()
	require.Greater(t, len(msgs), 1)
	var r faceterm.Reassembler
	var got []byte
	for _, m := range msgs {
		f := m.(faceterm.Fragment)
		assert.Equal(t, byte(42), f.Liveness)
		out, _, err := r.Add(time.Now(), "pd", f)
		require.NoError(t, err)
		got = append(got[:0], out...)
	}
	sent, err := jpeg.Decode(bytes.NewReader(got))
	require.NoError(t, err, "the fragments make a JPEG again")
	assert.Equal(t, image.Rect(0, 0, 640, 400), sent.Bounds(), "the terminal sends a scaled capture")
	assert.Len(t, msgs, (len(got)+299)/300)
}

func TestDescriptorModeAndBiometricCommands(t *testing.T) {
	c := newCP(t, Config{Mode: DescriptorMode, Embed: fakeEmbed})
	ctx := context.Background()
	photo := []byte("resident photo bytes")
	require.NoError(t, c.pd.Show(ctx, photo))
	msgs := c.drain()
	require.Len(t, msgs, 1)
	d := msgs[0].(faceterm.Descriptor)
	want, _ := fakeEmbed(ctx, photo)
	assert.Equal(t, want, d.Vector)
	assert.False(t, d.Solicited)

	// BIOREAD captures what is in view again, flagged as solicited.
	r := c.do(osdp.BioRead{Format: faceterm.FormatDescriptor})
	assert.Equal(t, byte(osdp.ReplyACK), r.Code)
	msgs = c.drain()
	require.Len(t, msgs, 1)
	assert.True(t, msgs[0].(faceterm.Descriptor).Solicited)

	// BIOMATCH with the same template matches; another does not.
	r = c.do(osdp.BioMatch{Format: faceterm.FormatDescriptor, Threshold: 200, Template: faceterm.AppendTemplate(nil, want)})
	m, err := osdp.ParseReply(r.Code, r.Data)
	require.NoError(t, err)
	assert.Equal(t, osdp.BioMatchR{Status: 1, Score: 255}, m)
	other, _ := fakeEmbed(ctx, []byte("someone else entirely"))
	r = c.do(osdp.BioMatch{Format: faceterm.FormatDescriptor, Threshold: 200, Template: faceterm.AppendTemplate(nil, other)})
	m, err = osdp.ParseReply(r.Code, r.Data)
	require.NoError(t, err)
	assert.Equal(t, byte(0), m.(osdp.BioMatchR).Status)

	// Nobody in view: BIOREAD times out.
	c.pd.Leave()
	r = c.do(osdp.BioRead{Format: faceterm.FormatDescriptor})
	m, err = osdp.ParseReply(r.Code, r.Data)
	require.NoError(t, err)
	assert.Equal(t, byte(1), m.(osdp.BioReadR).Status)

	// A photo the model finds no face in is refused in descriptor mode.
	assert.Error(t, c.pd.Show(ctx, []byte("noface here")))
	r = c.do(osdp.BioRead{Format: 0x01})
	assert.Equal(t, byte(osdp.ReplyNAK), r.Code, "unknown bio format")
}

func TestConfig(t *testing.T) {
	_, err := New(Config{Mode: DescriptorMode})
	assert.ErrorIs(t, err, ErrNoEmbed)
	_, err = New(Config{Mode: JPEGMode, FragmentSize: 5000})
	assert.Error(t, err)
}

// Capped as a terminal on a 9600-baud line caps its captures, a JPEG of at
// most 6 KiB crosses the line within the control panel's reassembly
// window; the whole 640 px photo would not.
func TestJPEGCapturesFitTheLine(t *testing.T) {
	big := image.NewRGBA(image.Rect(0, 0, 1600, 1000))
	for i := range big.Pix {
		big.Pix[i] = byte(i * 7)
	}
	var photo bytes.Buffer
	require.NoError(t, jpeg.Encode(&photo, big, nil))

	c := newCP(t, Config{Mode: JPEGMode, MaxBytes: FitsAt9600})
	require.NoError(t, c.pd.Show(context.Background(), photo.Bytes()))
	var r faceterm.Reassembler
	var got []byte
	msgs := c.drain()
	for _, m := range msgs {
		out, _, err := r.Add(time.Now(), "pd", m.(faceterm.Fragment))
		require.NoError(t, err)
		got = append(got[:0], out...)
	}
	require.NotEmpty(t, got)
	assert.LessOrEqual(t, len(got), FitsAt9600)
	assert.LessOrEqual(t, len(got), faceterm.MaxCapture(9600), "crosses a 9600-baud line in time")
	assert.Len(t, msgs, (len(got)+999)/1000, "1,000-byte fragments")
	_, err := jpeg.Decode(bytes.NewReader(got))
	require.NoError(t, err, "still a JPEG")

	_, err = New(Config{Mode: JPEGMode, MaxBytes: 10})
	assert.Error(t, err, "too small for any face")
}

// liveness returns the liveness of each capture drained, one per capture.
func (c *cp) liveness() []byte {
	c.t.Helper()
	var out []byte
	for _, m := range c.drain() {
		switch m := m.(type) {
		case faceterm.Descriptor:
			out = append(out, m.Liveness)
		case faceterm.Fragment:
			if m.Offset == 0 {
				out = append(out, m.Liveness)
			}
		}
	}
	return out
}

// A liveness score belongs to one presentation: after a spoof, the next
// face shown without one gets the terminal's default live score, and a
// capture solicited by BIOREAD of the face in view keeps its presentation's.
func TestLivenessIsPerPresentation(t *testing.T) {
	c := newCP(t, Config{Mode: DescriptorMode, Embed: fakeEmbed})
	ctx := context.Background()
	photo := []byte("resident photo bytes")

	require.NoError(t, c.pd.Show(ctx, photo))
	assert.Equal(t, []byte{95}, c.liveness(), "the default live score")

	c.pd.SetLiveness(20) // the spoof example: a printed photo
	require.NoError(t, c.pd.Show(ctx, photo))
	assert.Equal(t, []byte{20}, c.liveness())
	assert.Equal(t, byte(osdp.ReplyACK), c.do(osdp.BioRead{Format: faceterm.FormatDescriptor}).Code)
	assert.Equal(t, []byte{20}, c.liveness(), "BIOREAD of the same presentation")

	require.NoError(t, c.pd.Show(ctx, photo))
	assert.Equal(t, []byte{95}, c.liveness(), "the next face is live again")

	require.NoError(t, c.pd.ShowLiveness(ctx, photo, 30))
	assert.Equal(t, []byte{30}, c.liveness())
	require.NoError(t, c.pd.ShowLiveness(ctx, photo, faceterm.LivenessUnknown))
	assert.Equal(t, []byte{faceterm.LivenessUnknown}, c.liveness())
	require.NoError(t, c.pd.Show(ctx, photo))
	assert.Equal(t, []byte{95}, c.liveness())

	c.pd.Leave()
	c.pd.SetLiveness(10)
	require.Error(t, c.pd.Show(ctx, []byte("noface")), "the terminal's model found no face")
	require.NoError(t, c.pd.Show(ctx, photo))
	assert.Equal(t, []byte{10}, c.liveness(), "a presentation that failed does not use up the score")
}

func TestConfiguredDefaultLiveness(t *testing.T) {
	c := newCP(t, Config{Mode: DescriptorMode, Embed: fakeEmbed, Liveness: faceterm.LivenessUnknown})
	c.pd.SetLiveness(40)
	require.NoError(t, c.pd.Show(context.Background(), []byte("a")))
	require.NoError(t, c.pd.Show(context.Background(), []byte("b")))
	assert.Equal(t, []byte{40, faceterm.LivenessUnknown}, c.liveness())
}
