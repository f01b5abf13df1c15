// Command facecrops cuts single-face photos out of group photos, for the
// demo: most sample photos (.cache/photos, from the npm package
// @vladmandic/face-api) show several faces, and a visitor is registered
// with a photo of one face. It finds the faces with biometric/face, cuts
// each out with a margin that takes in no other face, checks that the
// embedder finds exactly that one face in the crop, and writes it as
// OUT/<photo>-face<N>.jpg.
//
//	facecrops -models .cache/models -out data/faces .cache/photos/sample*.jpg
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"menwei/biometric/face"
)

func main() {
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "facecrops:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "facecrops:", err)
		stop()
		os.Exit(1)
	}
}

// config is what the command line asks for.
type config struct {
	Models string   // dlib model directory
	Out    string   // where the crops go
	Photos []string // the photos to cut up
}

func parseFlags(args []string, out io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("facecrops", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&cfg.Models, "models", "", "dlib face models `DIR` (required)")
	fs.StringVar(&cfg.Out, "out", "data/faces", "write the crops to `DIR`")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	cfg.Photos = fs.Args()
	switch {
	case cfg.Models == "":
		return config{}, errors.New("-models is required")
	case len(cfg.Photos) == 0:
		return config{}, errors.New("no photos given")
	}
	return cfg, nil
}

// run cuts every photo up and writes the crops; it reports each crop and
// each face left out to w. It fails when no crop at all could be made.
func run(ctx context.Context, cfg config, w io.Writer) error {
	e, err := face.Open(face.Config{ModelDir: cfg.Models})
	if err != nil {
		return err
	}
	defer e.Close()
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return err
	}
	written := 0
	for _, p := range cfg.Photos {
		photo, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		crops, skips, err := cropFaces(ctx, e, photo)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		base := strings.TrimSuffix(filepath.Base(p), filepath.Ext(p))
		for _, c := range crops {
			name := filepath.Join(cfg.Out, fmt.Sprintf("%s-face%d.jpg", base, c.N))
			if err := os.WriteFile(name, c.JPEG, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(w, "%s: face %d at %v\n", name, c.N, c.Box)
			written++
		}
		for _, s := range skips {
			fmt.Fprintf(w, "%s: face %d at %v left out: %s\n", p, s.N, s.Box, s.Why)
		}
	}
	if written == 0 {
		return errors.New("no face could be cut out alone")
	}
	return nil
}
