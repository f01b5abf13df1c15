//go:build !nodlib

package face

// #cgo CXXFLAGS: -std=c++1z -Wall -O3 -DNDEBUG -march=native
// #cgo LDFLAGS: -ldlib -lblas -lcblas -llapack -ljpeg
// #include <stdlib.h>
// #include "detect.h"
import "C"

import (
	"errors"
	"image"
	"unsafe"
)

// detector is dlib's frontal face detector (the one go-face's Recognize
// runs) applied to a reduced copy of a photo, decoded at that size by
// libjpeg. Not safe for concurrent use: the Embedder's worker owns it.
type detector struct{ p unsafe.Pointer }

func newDetector() (*detector, error) {
	p := C.mw_detector_new()
	if p == nil {
		return nil, errors.New("face: the face detector could not be made")
	}
	return &detector{p: p}, nil
}

func (d *detector) close() { C.mw_detector_free(d.p) }

// detect finds the faces in the JPEG decoded at scaleNum/8 of its size and
// returns their boxes in that reduced image's coordinates, and its size.
func (d *detector) detect(jpeg []byte, scaleNum int) ([]image.Rectangle, image.Point, error) {
	var res C.mw_detect_result
	if C.mw_detect(d.p, (*C.uint8_t)(unsafe.Pointer(&jpeg[0])), C.ulong(len(jpeg)), C.int(scaleNum), &res) != 0 {
		return nil, image.Point{}, errors.New("face: " + C.GoString(&res.err[0]))
	}
	n := min(int(res.n), C.MW_MAX_FACES)
	boxes := make([]image.Rectangle, n)
	for i := range n {
		r := res.rects[4*i:]
		boxes[i] = image.Rect(int(r[0]), int(r[1]), int(r[2]), int(r[3]))
	}
	if int(res.n) > n { // more than reported: the count is what matters then
		boxes = append(boxes, make([]image.Rectangle, int(res.n)-n)...)
	}
	return boxes, image.Pt(int(res.width), int(res.height)), nil
}

// cropJPEG returns the part r of the JPEG at full resolution as a new JPEG.
func cropJPEG(jpeg []byte, r image.Rectangle, quality int) ([]byte, error) {
	var out *C.uint8_t
	var outLen C.ulong
	var errBuf [160]C.char
	if C.mw_crop((*C.uint8_t)(unsafe.Pointer(&jpeg[0])), C.ulong(len(jpeg)), C.int(r.Min.X), C.int(r.Min.Y), C.int(r.Max.X), C.int(r.Max.Y),
		C.int(quality), &out, &outLen, &errBuf[0], C.int(len(errBuf))) != 0 {
		return nil, errors.New("face: " + C.GoString(&errBuf[0]))
	}
	defer C.free(unsafe.Pointer(out))
	return C.GoBytes(unsafe.Pointer(out), C.int(outLen)), nil
}
