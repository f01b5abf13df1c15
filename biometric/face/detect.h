// Face detection on a reduced copy of a JPEG, and full-resolution crops,
// for the Embedder (detect_dlib.go). C interface for cgo.
#ifndef MENWEI_FACE_DETECT_H
#define MENWEI_FACE_DETECT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MW_MAX_FACES 32

typedef struct {
	int n;                        // faces found (at most MW_MAX_FACES are reported)
	long rects[4 * MW_MAX_FACES]; // left, top, right, bottom in the reduced image
	int width, height;            // the reduced image's size
	char err[160];                // set when the call returns nonzero
} mw_detect_result;

void *mw_detector_new(void);
void mw_detector_free(void *det);

// mw_detect decodes the JPEG scaled by scale_num/8 (libjpeg's DCT scaling)
// and runs dlib's frontal face detector (HOG) on it, as go-face does on
// the whole photo. Not safe for concurrent use of one detector.
int mw_detect(void *det, const uint8_t *jpeg, unsigned long len, int scale_num, mw_detect_result *out);

// mw_crop decodes only the rows and columns of [x0,x1)×[y0,y1) of the
// JPEG at full resolution and encodes them as a new JPEG (quality q) in a
// buffer malloc'd into *out (free with free()).
int mw_crop(const uint8_t *jpeg, unsigned long len, int x0, int y0, int x1, int y1, int q,
            uint8_t **out, unsigned long *outlen, char *err, int errlen);

#ifdef __cplusplus
}
#endif

#endif
