// Package facepd emulates a face terminal: an OSDP PD (package osdppd)
// with a camera. Shown a photo, it sends the capture to the control panel
// in MFGREP messages, either as a descriptor it computes with the same dlib
// model menwei uses (descriptor mode) or as the JPEG itself in fragments
// (JPEG mode), with a liveness score scripted per presentation. In JPEG
// mode, given a face finder (Config.Locate), it sends what a real terminal
// sends: a crop of the face, fitted to a size cap (Config.MaxBytes) that the
// line's baud rate sets. It answers BIOREAD by capturing what the camera
// sees and BIOMATCH by comparing it with the template sent. The message
// layout is package faceterm's.
package facepd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/png" // photos shown to the camera may be PNG
	"math"
	"sync"

	"menwei/devices/faceterm"
	"menwei/devices/osdp"
	"menwei/firmware-mocks/osdppd"
)

// Mode is how captures are sent.
type Mode int

const (
	DescriptorMode Mode = iota // the terminal computes the descriptor
	JPEGMode                   // the terminal sends the photo
)

// Embed computes a face descriptor from a JPEG (biometric/face in real use).
type Embed func(ctx context.Context, jpeg []byte) ([128]float32, error)

// Config configures a Terminal.
type Config struct {
	PD           osdppd.Config // the OSDP side; its Bio handler is set by New
	Mode         Mode
	Embed        Embed // required for DescriptorMode and BIOMATCH
	FragmentSize int   // 0 = 1000 bytes of JPEG per MFGREP
	Liveness     byte  // 0 = 95; faceterm.LivenessUnknown for a terminal without it
	MaxSide      int   // JPEG mode: the capture sent is scaled to at most this; 0 = 640 px
	// Locate, in JPEG mode, finds the faces the camera sees: the terminal
	// then sends, as a real one does, a crop of the largest face (the
	// person nearest the camera) with CropMargin around it, and Show
	// refuses a photo with no face (ErrNoFace). nil = no face finder: the
	// whole scene is sent.
	Locate Locate
	// MaxBytes caps a JPEG capture, as a real terminal's face crop is
	// capped: the JPEG quality and then the size are lowered until the
	// capture fits. FitsAt9600 crosses a 9600-baud line within the control
	// panel's reassembly window (docs/face-terminal.md); a face crop (Locate)
	// that small still matches, a whole scene shrunk to it does not.
	// 0 = no cap: the whole photo at MaxSide is ~37 KB at 640 px, which
	// only a pty or a line of 57600 baud or more carries in time.
	MaxBytes int
	Quality  byte // 0 = 80
}

// Terminal is an emulated face terminal.
type Terminal struct {
	*osdppd.PD
	cfg Config

	mu      sync.Mutex
	scene   []byte // the photo the camera currently sees; nil = nobody
	desc    *[128]float32
	live    byte  // the liveness of the face in view
	pending *byte // SetLiveness: the liveness of the next presentation
	next    uint16
}

// ErrNoEmbed is returned when descriptor mode has no Embed function.
var ErrNoEmbed = errors.New("facepd: descriptor mode needs an Embed function")

// New builds a terminal.
func New(cfg Config) (*Terminal, error) {
	if cfg.FragmentSize == 0 {
		cfg.FragmentSize = 1000
	}
	if cfg.Liveness == 0 {
		cfg.Liveness = 95
	}
	if cfg.Quality == 0 {
		cfg.Quality = 80
	}
	if cfg.MaxSide == 0 {
		cfg.MaxSide = 640
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = math.MaxInt
	}
	if cfg.MaxBytes < minBytes {
		return nil, fmt.Errorf("facepd: max bytes %d: at least %d", cfg.MaxBytes, minBytes)
	}
	if cfg.Mode == DescriptorMode && cfg.Embed == nil {
		return nil, ErrNoEmbed
	}
	if cfg.FragmentSize < 1 || cfg.FragmentSize > 1400 {
		return nil, fmt.Errorf("facepd: fragment size %d: 1…1400", cfg.FragmentSize)
	}
	t := &Terminal{cfg: cfg}
	cfg.PD.Bio = (*bio)(t)
	pd, err := osdppd.New(cfg.PD)
	if err != nil {
		return nil, err
	}
	t.PD = pd
	return t, nil
}

// SetLiveness sets the liveness score (0…100, or faceterm.LivenessUnknown)
// of the next presentation only: the next Show that succeeds. Liveness is
// measured on each face shown, so the presentations after it get the
// terminal's default (Config.Liveness) again; a spoof does not make every
// later face a spoof.
func (t *Terminal) SetLiveness(l byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pending = &l
}

// Show puts a face in front of the camera and sends the capture on the
// following POLLs. The face stays in view (for BIOREAD and BIOMATCH) until
// the next Show or Leave. Its liveness is the one SetLiveness left for it,
// else the terminal's default live score (Config.Liveness).
func (t *Terminal) Show(ctx context.Context, photo []byte) error {
	return t.show(ctx, photo, nil)
}

// ShowLiveness is Show with the liveness score of this presentation
// (0…100, or faceterm.LivenessUnknown).
func (t *Terminal) ShowLiveness(ctx context.Context, photo []byte, liveness byte) error {
	return t.show(ctx, photo, &liveness)
}

func (t *Terminal) show(ctx context.Context, photo []byte, liveness *byte) error {
	reports, err := t.see(ctx, photo, liveness)
	if err != nil {
		return err
	}
	for _, r := range reports {
		t.QueueMfgReply(r.(osdp.MfgRep))
	}
	return nil
}

// Leave empties the camera's view.
func (t *Terminal) Leave() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.scene, t.desc = nil, nil
}

// see remembers the scene and its liveness (given, else SetLiveness's, else
// the default) and builds its capture messages.
func (t *Terminal) see(ctx context.Context, photo []byte, liveness *byte) ([]osdp.Message, error) {
	var desc *[128]float32
	if t.cfg.Mode == DescriptorMode || t.cfg.Embed != nil {
		if t.cfg.Embed == nil {
			return nil, ErrNoEmbed
		}
		d, err := t.cfg.Embed(ctx, photo)
		if err != nil && t.cfg.Mode == DescriptorMode {
			return nil, fmt.Errorf("facepd: the terminal's model found no usable face: %w", err)
		}
		if err == nil {
			desc = &d
		}
	}
	scene := append([]byte(nil), photo...)
	if t.cfg.Mode == JPEGMode {
		var err error
		if scene, err = t.jpegCapture(ctx, photo); err != nil {
			return nil, err
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.scene, t.desc, t.live = scene, desc, t.cfg.Liveness
	switch {
	case liveness != nil:
		t.live = *liveness
	case t.pending != nil:
		t.live, t.pending = *t.pending, nil
	}
	return t.capture(false), nil
}

// jpegCapture is the JPEG a terminal in JPEG mode sends of photo: the
// crop of the face it locates (Config.Locate), or the whole scene, shrunk
// to the capture cap.
func (t *Terminal) jpegCapture(ctx context.Context, photo []byte) ([]byte, error) {
	img, _, err := image.Decode(bytes.NewReader(photo))
	if err != nil {
		return nil, fmt.Errorf("facepd: not a photo the camera can take: %w", err)
	}
	r := img.Bounds()
	if t.cfg.Locate != nil {
		boxes, err := t.cfg.Locate(ctx, photo)
		if err != nil {
			return nil, fmt.Errorf("facepd: locate the face: %w", err)
		}
		box, ok := nearest(boxes, r)
		if !ok {
			return nil, ErrNoFace
		}
		r = cropAround(box, r)
	}
	out, err := shrink(img, r, t.cfg.MaxSide, t.cfg.MaxBytes)
	if err != nil {
		return nil, fmt.Errorf("facepd: encode the capture: %w", err)
	}
	return out, nil
}

// capture builds the MFGREP messages for the current scene. Called with mu held.
func (t *Terminal) capture(solicited bool) []osdp.Message {
	t.next++
	c := faceterm.Capture{ID: t.next, Liveness: t.live, Quality: t.cfg.Quality, Solicited: solicited}
	var out []osdp.Message
	if t.cfg.Mode == DescriptorMode {
		out = append(out, osdp.MfgRep{Vendor: faceterm.VendorCode, Data: faceterm.AppendDescriptor(nil, faceterm.Descriptor{Capture: c, Vector: *t.desc})})
		return out
	}
	for _, f := range faceterm.Split(c, t.scene, t.cfg.FragmentSize) {
		out = append(out, osdp.MfgRep{Vendor: faceterm.VendorCode, Data: faceterm.AppendFragment(nil, f)})
	}
	return out
}

// bio answers the PD's biometric commands from the camera's view.
type bio Terminal

func (b *bio) BioRead(m osdp.BioRead) (osdp.Message, []osdp.Message) {
	t := (*Terminal)(b)
	if m.Format != faceterm.FormatDescriptor {
		return osdp.Nak{Error: osdp.NAKBioFormat}, nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.scene == nil || (t.cfg.Mode == DescriptorMode && t.desc == nil) {
		return osdp.BioReadR{Reader: m.Reader, Status: 1, Type: m.Type}, nil
	}
	return osdp.Ack{}, t.capture(true)
}

func (b *bio) BioMatch(m osdp.BioMatch) osdp.Message {
	t := (*Terminal)(b)
	if m.Format != faceterm.FormatDescriptor {
		return osdp.Nak{Error: osdp.NAKBioFormat}
	}
	tmpl, err := faceterm.ParseTemplate(m.Template)
	if err != nil {
		return osdp.Nak{Error: osdp.NAKCmdLength}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.desc == nil {
		return osdp.BioMatchR{Reader: m.Reader, Status: 0, Type: m.Type, Score: 0}
	}
	var s float64
	for i := range tmpl {
		d := float64(tmpl[i] - t.desc[i])
		s += d * d
	}
	score := faceterm.Score(float32(math.Sqrt(s)))
	status := byte(0)
	if score >= m.Threshold {
		status = 1
	}
	return osdp.BioMatchR{Reader: m.Reader, Status: status, Type: m.Type, Score: score}
}
