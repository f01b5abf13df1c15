package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"menwei/biometric/face"
	"menwei/devices/faceterm"
	"menwei/devices/fpm"
	"menwei/devices/osdp"
	"menwei/devices/wiegand"
	"menwei/firmware-mocks/facepd"
	"menwei/firmware-mocks/fpmodule"
	"menwei/firmware-mocks/osdppd"
	"menwei/firmware-mocks/osdppd/ptypair"
	"menwei/firmware-mocks/wiegandconv"
)

// faceModel finds faces and computes their descriptors: *face.Embedder.
type faceModel interface {
	Faces(ctx context.Context, img []byte) ([]face.Face, error)
	One(ctx context.Context, img []byte) (face.Face, error)
}

// openFaces loads the dlib models when -models is given; nil without it.
func openFaces(cfg config) (faceModel, func(), error) {
	if cfg.Models == "" {
		return nil, func() {}, nil
	}
	e, err := face.Open(face.Config{ModelDir: cfg.Models})
	if err != nil {
		return nil, nil, err
	}
	return e, e.Close, nil
}

// captureCap is the largest JPEG capture a face terminal sends on a line
// at baud: what crosses it within the control panel's reassembly window
// (faceterm.MaxCapture), and at 9600 baud facepd.FitsAt9600, the size
// menweid assumes for a jpeg terminal (controller/config.DefaultFaceMaxBytes).
func captureCap(baud int) int {
	if baud == 9600 {
		return facepd.FitsAt9600
	}
	return faceterm.MaxCapture(baud)
}

// faceConfig is the face terminal -pd s asks for. Given the face model
// (-models), it computes descriptors (descriptor mode, BIOMATCH) and, in
// JPEG mode, sends what a real terminal sends: a crop of the face, capped
// to what the line at baud carries in time. Without the model a JPEG-mode
// terminal sends the whole photo, uncapped: a pty carries it, a real line
// at 9600 baud would not (docs/face-terminal.md).
func faceConfig(s pdSpec, pc osdppd.Config, m faceModel, baud int) facepd.Config {
	fc := facepd.Config{PD: pc, Mode: facepd.JPEGMode}
	if s.Face == "descriptor" {
		fc.Mode = facepd.DescriptorMode
	}
	if m == nil {
		return fc
	}
	fc.Embed = func(ctx context.Context, jpeg []byte) ([128]float32, error) {
		f, err := m.One(ctx, jpeg)
		return f.Descriptor, err
	}
	if fc.Mode == facepd.JPEGMode {
		fc.Locate = func(ctx context.Context, jpeg []byte) ([]image.Rectangle, error) {
			faces, err := m.Faces(ctx, jpeg)
			boxes := make([]image.Rectangle, len(faces))
			for i, f := range faces {
				boxes[i] = f.Box
			}
			return boxes, err
		}
		fc.MaxBytes = captureCap(baud)
	}
	return fc
}

// config is what the command line asks for.
type config struct {
	Link    string   // symlink to the pseudo-terminal's slave; empty: the path is only logged
	PDs     []pdSpec // at least one
	Control string   // HTTP control surface address; empty: none
	KeyDir  string   // where keys set by KEYSET are kept; empty: nowhere
	Models  string   // dlib models for face terminals: descriptors, and face crops in JPEG mode
	// Baud is the rate of the line the PDs stand for (a pty carries any):
	// JPEG face captures are capped to what it carries in time. 0 = 9600.
	Baud int
	// Wiegand is an optional Wiegand converter on a pty of its own: the
	// link path and the framing ("data/tty-wiegand:hex-cr").
	Wiegand string
	// Fingerprint is an optional fingerprint module on a pty of its own: the link path.
	Fingerprint string
	// FingerAddr, FingerPassword and FingerPacketSize configure it
	// (fpmodule.Config): 0 means the factory settings 0xFFFFFFFF, none
	// and 128.
	FingerAddr       uint32
	FingerPassword   uint32
	FingerPacketSize int
	// FingerTiming is how long it takes over each instruction: "r307" (a
	// real module's, fpmodule.R307Timing) or "instant"; "" means instant.
	FingerTiming string
	Log          *slog.Logger

	ready func(control, tty string) // called once serving (tests learn the port)
}

// pdSpec is one -pd flag.
type pdSpec struct {
	Addr    byte
	SCBK    []byte
	Install bool
	Face    string // "", "jpeg" or "descriptor": a face terminal sending that mode
}

func (c *config) validate() error {
	if len(c.PDs) == 0 {
		return errors.New("at least one -pd is needed")
	}
	if _, err := c.fingerprintConfig(); err != nil {
		return err
	}
	baud := c.baud()
	if !standardBauds[baud] {
		return fmt.Errorf("-baud %d: 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200 or 230400", baud)
	}
	seen := map[byte]bool{}
	for _, p := range c.PDs {
		if p.Face == "jpeg" && c.Models != "" && captureCap(baud) < minCapture {
			return fmt.Errorf("-pd %d: at %d baud a JPEG capture can be %d bytes, too small for a face: use face-descriptor or a faster line", p.Addr, baud, captureCap(baud))
		}
		if seen[p.Addr] {
			return fmt.Errorf("two -pd at address %d", p.Addr)
		}
		seen[p.Addr] = true
	}
	return nil
}

var standardBauds = map[int]bool{1200: true, 2400: true, 4800: true, 9600: true, 19200: true, 38400: true, 57600: true, 115200: true, 230400: true}

// minCapture is the smallest capture cap facepd takes.
const minCapture = 1024

func (c *config) baud() int {
	if c.Baud == 0 {
		return 9600
	}
	return c.Baud
}

// fingerprintConfig is the emulated fingerprint module the flags ask for.
func (c *config) fingerprintConfig() (fpmodule.Config, error) {
	fc := fpmodule.Config{Addr: c.FingerAddr, Password: c.FingerPassword, PacketSize: c.FingerPacketSize, Log: c.Log}
	switch c.FingerTiming {
	case "", "instant":
	case "r307":
		fc.Timing = fpmodule.R307Timing()
	default:
		return fc, fmt.Errorf("-fingerprint-timing %q: r307 or instant", c.FingerTiming)
	}
	if _, ok := fpm.PacketSizeCode(c.FingerPacketSize); c.FingerPacketSize != 0 && !ok {
		return fc, fmt.Errorf("-fingerprint-packet-size %d: 32, 64, 128 or 256", c.FingerPacketSize)
	}
	return fc, nil
}

func parseKey(s string) ([]byte, error) {
	key, err := hex.DecodeString(s)
	if err != nil || len(key) != osdp.KeySize {
		return nil, fmt.Errorf("a key is %d bytes of hex", osdp.KeySize)
	}
	return key, nil
}

// run serves the PDs on a new pseudo-terminal and the control surface until
// ctx is done, then removes the link and waits for everything it started.
func run(ctx context.Context, cfg config) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	keys := keyStore{dir: cfg.KeyDir}
	if err := keys.prepare(); err != nil {
		return err
	}

	var (
		pds   []*osdppd.PD
		faces = map[byte]*facepd.Terminal{}
	)
	model, closeModel, err := openFaces(cfg)
	if err != nil {
		return err
	}
	defer closeModel()
	for _, s := range cfg.PDs {
		pc := osdppd.Config{Addr: s.Addr, SCBK: s.SCBK, Install: s.Install, Log: log}
		kept, err := keys.load(s.Addr)
		if err != nil {
			return err
		}
		if kept != nil {
			pc.SCBK, pc.Install = kept, false
			log.Info("key from the key directory", "pd", s.Addr)
		}
		var pd *osdppd.PD
		if s.Face != "" {
			fc := faceConfig(s, pc, model, cfg.baud())
			t, err := facepd.New(fc)
			if err != nil {
				return fmt.Errorf("-pd %d: %w (descriptor mode needs -models)", s.Addr, err)
			}
			faces[s.Addr], pd = t, t.PD
			switch {
			case fc.Locate != nil:
				log.Info("face terminal sends face crops", "pd", s.Addr, "max_bytes", fc.MaxBytes, "baud", cfg.baud())
			case fc.Mode == facepd.JPEGMode:
				log.Warn("face terminal sends whole photos: a real line at this baud would not carry them in time; give -models for face crops", "pd", s.Addr, "baud", cfg.baud())
			}
		} else if pd, err = osdppd.New(pc); err != nil {
			return err
		}
		pds = append(pds, pd)
		log.Info("PD ready", "pd", s.Addr, "has_key", pc.SCBK != nil, "install", pc.Install)
	}

	pair, err := ptypair.Open()
	if err != nil {
		return err
	}
	defer pair.Close()
	tty := pair.Path
	if cfg.Link != "" {
		if err := makeLink(cfg.Link, pair.Path); err != nil {
			return err
		}
		defer removeLink(cfg.Link, pair.Path, log)
		tty = cfg.Link
	}

	var conv *wiegandconv.Converter
	if cfg.Wiegand != "" {
		link, framing, _ := strings.Cut(cfg.Wiegand, ":")
		wpair, err := ptypair.Open()
		if err != nil {
			return err
		}
		defer wpair.Close()
		if err := makeLink(link, wpair.Path); err != nil {
			return err
		}
		defer removeLink(link, wpair.Path, log)
		if conv, err = wiegandconv.New(wpair.Master, wiegand.Framer{Framing: framing}); err != nil {
			return fmt.Errorf("-wiegand: %w", err)
		}
		log.Info("wiegand converter", "tty", link, "framing", framing)
	}

	var (
		finger      *fpmodule.Module
		fingerServe func(context.Context)
	)
	if cfg.Fingerprint != "" {
		fpair, err := ptypair.Open()
		if err != nil {
			return err
		}
		defer fpair.Close()
		if err := makeLink(cfg.Fingerprint, fpair.Path); err != nil {
			return err
		}
		defer removeLink(cfg.Fingerprint, fpair.Path, log)
		fc, err := cfg.fingerprintConfig()
		if err != nil {
			return err
		}
		fc.Log = log
		if finger, err = fpmodule.New(fc); err != nil {
			return fmt.Errorf("-fingerprint: %w", err)
		}
		log.Info("fingerprint module", "tty", cfg.Fingerprint, "addr", fmt.Sprintf("%08x", fc.Addr),
			"password", fc.Password != 0, "packet_size", fc.PacketSize, "timing", cfg.FingerTiming)
		defer func() { _ = fpair.Master.Close() }()
		fpServe := func(ctx context.Context) { _ = finger.Serve(ctx, fpair.Master) }
		fingerServe = fpServe
	}

	var ln net.Listener
	if cfg.Control != "" {
		if ln, err = net.Listen("tcp", cfg.Control); err != nil {
			return fmt.Errorf("control surface: %w", err)
		}
		if ip, ok := ln.Addr().(*net.TCPAddr); ok && !ip.IP.IsLoopback() {
			log.Warn("control surface reachable from the network", "addr", ln.Addr())
		}
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err })
		cancel()
	}

	wg.Go(func() {
		if err := osdppd.Serve(ctx, pair.Master, pds...); err != nil {
			fail(err)
		}
	})
	if fingerServe != nil {
		wg.Go(func() { fingerServe(ctx) })
	}
	if keys.dir != "" {
		for i, pd := range pds {
			wg.Go(func() { keys.follow(ctx, pd, cfg.PDs[i].Addr, log) })
		}
	}
	controlAddr := ""
	if ln != nil {
		controlAddr = ln.Addr().String()
		srv := &http.Server{Handler: newControl(pds, faces, cfg.PDs, keys, log).withConverter(conv).withFinger(finger).routes(), ReadHeaderTimeout: 10 * time.Second}
		wg.Go(func() {
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				fail(fmt.Errorf("control surface: %w", err))
			}
		})
		wg.Go(func() {
			<-ctx.Done()
			sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer scancel()
			_ = srv.Shutdown(sctx)
		})
	}
	log.Info("serving", "tty", tty, "control", controlAddr)
	if cfg.ready != nil {
		cfg.ready(controlAddr, tty)
	}
	<-ctx.Done()
	wg.Wait()
	log.Info("stopped")
	return firstErr
}

// makeLink points path at the pseudo-terminal, replacing a stale symlink
// left by an emulator that died. Anything else at path is left alone.
func makeLink(path, target string) error {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSymlink == 0 {
			return fmt.Errorf("-link %s exists and is not a symlink", path)
		}
		if err := os.Remove(path); err != nil {
			return fmt.Errorf("-link: %w", err)
		}
	}
	if err := os.Symlink(target, path); err != nil {
		return fmt.Errorf("-link: %w", err)
	}
	return nil
}

// removeLink removes path if it still points at our pseudo-terminal.
func removeLink(path, target string, log *slog.Logger) {
	if dest, err := os.Readlink(path); err != nil || dest != target {
		return
	}
	if err := os.Remove(path); err != nil {
		log.Warn("link not removed", "link", path, "err", err)
	}
}
