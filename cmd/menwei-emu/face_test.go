package main

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/biometric/face"
	"menwei/devices/faceterm"
	"menwei/devices/osdp"
	"menwei/firmware-mocks/facepd"
	"menwei/firmware-mocks/osdppd"
)

// fakeModel sees the faces given in every photo.
type fakeModel struct{ faces []face.Face }

func (m fakeModel) Faces(context.Context, []byte) ([]face.Face, error) { return m.faces, nil }

func (m fakeModel) One(context.Context, []byte) (face.Face, error) {
	if len(m.faces) != 1 {
		return face.Face{}, errors.New("not one face")
	}
	return m.faces[0], nil
}

// drainCapture polls pd until it has nothing to report and returns the
// JPEG capture it sent, reassembled, and its fragments.
func drainCapture(t *testing.T, pd *osdppd.PD) ([]byte, int) {
	t.Helper()
	var (
		r     faceterm.Reassembler
		got   []byte
		frags int
	)
	for n := 0; ; n++ {
		seq := byte(0)
		if n > 0 {
			seq = byte((n-1)%3 + 1)
		}
		raw, err := osdp.AppendEncode(nil, osdp.Frame{Addr: pd.Addr(), Seq: seq, CRC: true, Code: osdp.CmdPOLL})
		require.NoError(t, err)
		in, _, err := osdp.Decode(raw)
		require.NoError(t, err)
		out, _, err := osdp.Decode(pd.Handle(in))
		require.NoError(t, err)
		if out.Code == osdp.ReplyACK {
			require.NotNil(t, got, "a whole capture")
			return got, frags
		}
		m, err := osdp.ParseReply(out.Code, out.Data)
		require.NoError(t, err)
		fm, err := faceterm.Decode(m.(osdp.MfgRep).Data)
		require.NoError(t, err)
		jpeg, _, err := r.Add(time.Now(), "pd", fm.(faceterm.Fragment))
		require.NoError(t, err)
		frags++
		if jpeg != nil {
			got = jpeg
		}
	}
}

// With the face model, a JPEG-mode terminal sends a crop of the face capped
// to what the line at -baud carries within the control panel's reassembly
// window; without it, the whole photo.
func TestFaceTerminalSendsCropsCappedToTheLine(t *testing.T) {
	scene := image.NewRGBA(image.Rect(0, 0, 1600, 1000))
	for i := range scene.Pix {
		scene.Pix[i] = byte(i * 7)
	}
	var photo bytes.Buffer
	require.NoError(t, jpeg.Encode(&photo, scene, &jpeg.Options{Quality: 90}))
	model := fakeModel{faces: []face.Face{{Box: image.Rect(700, 300, 900, 500)}}}

	for _, tc := range []struct {
		baud, max int
	}{
		{9600, facepd.FitsAt9600},
		{19200, faceterm.MaxCapture(19200)},
	} {
		fc := faceConfig(pdSpec{Addr: 9, Face: "jpeg"}, osdppd.Config{Addr: 9}, model, tc.baud)
		assert.Equal(t, tc.max, fc.MaxBytes, "%d baud", tc.baud)
		assert.LessOrEqual(t, fc.MaxBytes, faceterm.MaxCapture(tc.baud), "%d baud", tc.baud)
		term, err := facepd.New(fc)
		require.NoError(t, err)
		require.NoError(t, term.Show(context.Background(), photo.Bytes()))
		got, frags := drainCapture(t, term.PD)
		assert.LessOrEqual(t, len(got), tc.max)
		assert.Equal(t, (len(got)+faceterm.DefaultFragment-1)/faceterm.DefaultFragment, frags)
		m, err := jpeg.Decode(bytes.NewReader(got))
		require.NoError(t, err)
		assert.Equal(t, m.Bounds().Dx(), m.Bounds().Dy(), "%d baud: the square around the face, not the 16:10 scene", tc.baud)
	}

	fc := faceConfig(pdSpec{Addr: 9, Face: "jpeg"}, osdppd.Config{Addr: 9}, nil, 9600)
	assert.Nil(t, fc.Locate)
	assert.Zero(t, fc.MaxBytes, "no model: the whole photo")
	fc = faceConfig(pdSpec{Addr: 9, Face: "descriptor"}, osdppd.Config{Addr: 9}, model, 9600)
	assert.Equal(t, facepd.DescriptorMode, fc.Mode)
	assert.Nil(t, fc.Locate, "a descriptor is 512 bytes at any rate")
	assert.NotNil(t, fc.Embed)
}

func TestParseBaudFlag(t *testing.T) {
	cfg, err := parseFlags([]string{"-pd", "1:face-jpeg"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 9600, cfg.baud(), "the OSDP default")
	cfg, err = parseFlags([]string{"-pd", "1:face-jpeg", "-baud", "38400"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 38400, cfg.baud())
	assert.Equal(t, 9600, (&config{}).baud())

	_, err = parseFlags([]string{"-pd", "1", "-baud", "1000"}, io.Discard)
	assert.Error(t, err, "not a standard rate")
	_, err = parseFlags([]string{"-pd", "1:face-jpeg", "-baud", "1200", "-models", "m"}, io.Discard)
	assert.ErrorContains(t, err, "face-descriptor", "no face fits a 1200-baud line in time")
	_, err = parseFlags([]string{"-pd", "1:face-descriptor", "-baud", "1200", "-models", "m"}, io.Discard)
	assert.NoError(t, err)
}
