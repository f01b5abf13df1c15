//go:build !nodlib

package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"image"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"menwei/controller/config"
	"menwei/controller/store"
	"menwei/devices/faceterm"
	"menwei/devices/osdp"
	"menwei/devices/serialport/serialporttest"
	"menwei/firmware-mocks/facepd"
	"menwei/firmware-mocks/osdppd"
)

// BenchmarkFaceToOUTPaced measures face capture → OUT as a resident at a
// face terminal sees it (issue 15 target 6), on a half-duplex line paced at
// its baud rate (10 bits a byte), secure channel on, one terminal on the
// line: from the moment the terminal has its capture ready (queued for its
// next poll replies: what the terminal itself takes to find the face is
// the terminal's) until it receives the OUT that releases its door. In
// JPEG mode the capture is a crop of the face capped at bytes=N (as
// face_max_bytes), carried in 1000-byte fragments, reassembled, described
// by go-face with the real models and matched; in descriptor mode the
// terminal sends its 128-number descriptor in one reply. One op is one
// presentation of the enrolled resident, seen differently from his
// enrolment photo (mirrored, brighter, re-compressed).
func BenchmarkFaceToOUTPaced(b *testing.B) {
	for _, bc := range []struct {
		baud  int
		mode  string
		bytes int
	}{
		{115200, "descriptor", 0}, {115200, "jpeg", 6144}, {115200, "jpeg", 16384}, {115200, "jpeg", faceterm.MaxCapture(115200)},
		{9600, "descriptor", 0}, {9600, "jpeg", 4096}, {9600, "jpeg", facepd.FitsAt9600},
	} {
		name := fmt.Sprintf("%dbaud-%s", bc.baud, bc.mode)
		if bc.mode == "jpeg" {
			name += fmt.Sprintf("-bytes=%d", bc.bytes)
		}
		b.Run(name, func(b *testing.B) { benchFacePaced(b, bc.baud, bc.mode, bc.bytes) })
	}
}

func benchFacePaced(b *testing.B, baud int, mode string, maxBytes int) {
	a, _ := people(b)
	e := testEmbedder(b)
	enrol, err := e.One(context.Background(), jpegOf(b, a, 92))
	require.NoError(b, err)
	seen := jpegOf(b, transformed(a), 70)

	fm := facepd.DescriptorMode
	pdFace := "face: descriptor"
	if mode == "jpeg" {
		fm, pdFace = facepd.JPEGMode, fmt.Sprintf("face: jpeg, face_max_bytes: %d", maxBytes)
	}
	pc := osdppdConfig(101)
	pc.SCBK, _ = hex.DecodeString(testKey)
	term, err := facepd.New(facepd.Config{Mode: fm, PD: pc, MaxBytes: max(maxBytes, 1024),
		Embed: func(ctx context.Context, j []byte) ([128]float32, error) {
			f, err := e.One(ctx, j)
			return f.Descriptor, err
		},
		Locate: func(ctx context.Context, j []byte) ([]image.Rectangle, error) {
			f, err := e.One(ctx, j)
			return []image.Rectangle{f.Box}, err
		}})
	require.NoError(b, err)

	cpEnd, pdEnd := serialporttest.NewLine(baud)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- osdppd.Serve(ctx, pdEnd, term.PD) }()
	dir := b.TempDir()
	cfg, err := config.Parse(fmt.Appendf(nil, `
data_dir: %s
http: { listen: "127.0.0.1:0" }
face: { models: %s }
buses:
  - name: gate
    device: paced-line
    baud: %d
    pds:
      - { name: garden-face, address: 101, scbk: %s, %s }
doors:
  - { name: garden, readers: [{ pd: garden-face }], lock: { pd: garden-face, output: 0 }, pulse: 1s }
`, dir, cachePath(b, "models"), baud, testKey, pdFace), dir)
	require.NoError(b, err)
	s, err := openStore(cfg.Store.Dir)
	require.NoError(b, err)
	seedN(b, s, 1000)
	require.NoError(b, s.GiveConsent(store.Consent{Identity: "r00007", Biometric: "face", Given: time.Now(), Text: "face-v1", Account: "bench"}))
	require.NoError(b, s.PutFace(store.FaceRecord{Identity: "r00007", ID: "enrol", Vector: enrol.Descriptor}))
	require.NoError(b, s.Close())

	done := make(chan error, 1)
	ready := make(chan string, 1)
	go func() {
		done <- Run(ctx, cfg, discard(), Options{Ready: func(a string) { ready <- a },
			OpenPort: func(config.Bus) (io.ReadWriteCloser, error) { return cpEnd, nil }})
	}()
	<-ready
	defer func() { cancel(); pdEnd.Close(); <-done; <-served }()
	require.Eventually(b, term.SCActive, 60*time.Second, 10*time.Millisecond)
	wctx, wcancel := context.WithTimeout(ctx, 60*time.Second)
	_, err = term.WaitCommand(wctx, osdp.CmdOUT) // the lock's first OUT
	wcancel()
	require.NoError(b, err)

	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		time.Sleep(1200 * time.Millisecond) // the door relocked (pulse 1s): the next release is this op's
		require.NoError(b, term.Show(ctx, seen))
		b.StartTimer()
		at := time.Now()
		waitRelease(b, ctx, term.PD, 30*time.Second, "no OUT after the face (was it granted?)")
		lat = append(lat, time.Since(at))
	}
	b.StopTimer()
	reportLatency(b, lat)
}
