//go:build !nodlib

// Face detection on a reduced copy and full-resolution crops (detect.h).
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <jpeglib.h>

#include <dlib/image_processing/frontal_face_detector.h>

#include "detect.h"

namespace {

struct jpeg_fail {
	jpeg_error_mgr pub;
	std::jmp_buf jump;
	char msg[JMSG_LENGTH_MAX];
};

void on_jpeg_error(j_common_ptr cinfo) {
	jpeg_fail *f = reinterpret_cast<jpeg_fail *>(cinfo->err);
	(*cinfo->err->format_message)(cinfo, f->msg);
	std::longjmp(f->jump, 1);
}

// Warnings (a truncated file, corrupt data libjpeg can step over) are not
// printed on the daemon's stderr: the photo is judged by what is found in it.
void quiet(j_common_ptr) {}

void set_err(char *dst, int n, const char *what, const char *msg) {
	std::snprintf(dst, n, "%s: %.120s", what, msg);
}

} // namespace

extern "C" {

void *mw_detector_new(void) {
	try {
		return new dlib::frontal_face_detector(dlib::get_frontal_face_detector());
	} catch (...) {
		return nullptr;
	}
}

void mw_detector_free(void *det) { delete static_cast<dlib::frontal_face_detector *>(det); }

int mw_detect(void *det, const uint8_t *data, unsigned long len, int scale_num, mw_detect_result *out) {
	out->n = 0;
	out->err[0] = 0;
	jpeg_decompress_struct cinfo;
	jpeg_fail fail;
	cinfo.err = jpeg_std_error(&fail.pub);
	fail.pub.error_exit = on_jpeg_error;
	fail.pub.output_message = quiet;
	dlib::array2d<dlib::rgb_pixel> img;
	if (setjmp(fail.jump)) {
		jpeg_destroy_decompress(&cinfo);
		set_err(out->err, sizeof out->err, "decode", fail.msg);
		return 1;
	}
	jpeg_create_decompress(&cinfo);
	jpeg_mem_src(&cinfo, data, len);
	jpeg_read_header(&cinfo, TRUE);
	cinfo.out_color_space = JCS_RGB;
	cinfo.scale_num = scale_num;
	cinfo.scale_denom = 8;
	jpeg_start_decompress(&cinfo);
	img.set_size(cinfo.output_height, cinfo.output_width);
	std::vector<unsigned char> row(cinfo.output_width * 3);
	while (cinfo.output_scanline < cinfo.output_height) {
		long y = cinfo.output_scanline;
		JSAMPROW rp = row.data();
		jpeg_read_scanlines(&cinfo, &rp, 1);
		for (unsigned x = 0; x < cinfo.output_width; x++) {
			img[y][x] = dlib::rgb_pixel(row[3 * x], row[3 * x + 1], row[3 * x + 2]);
		}
	}
	out->width = cinfo.output_width;
	out->height = cinfo.output_height;
	jpeg_finish_decompress(&cinfo);
	jpeg_destroy_decompress(&cinfo);
	try {
		std::vector<dlib::rectangle> rects = (*static_cast<dlib::frontal_face_detector *>(det))(img);
		out->n = rects.size();
		for (size_t i = 0; i < rects.size() && i < MW_MAX_FACES; i++) {
			out->rects[4 * i] = rects[i].left();
			out->rects[4 * i + 1] = rects[i].top();
			out->rects[4 * i + 2] = rects[i].right();
			out->rects[4 * i + 3] = rects[i].bottom();
		}
	} catch (std::exception &e) {
		set_err(out->err, sizeof out->err, "detect", e.what());
		return 1;
	}
	return 0;
}

int mw_crop(const uint8_t *data, unsigned long len, int x0, int y0, int x1, int y1, int q,
            uint8_t **out, unsigned long *outlen, char *err, int errlen) {
	*out = nullptr;
	*outlen = 0;
	jpeg_decompress_struct din;
	jpeg_compress_struct cout;
	jpeg_fail fail;
	din.err = jpeg_std_error(&fail.pub);
	cout.err = din.err;
	fail.pub.error_exit = on_jpeg_error;
	fail.pub.output_message = quiet;
	bool din_made = false, cout_made = false;
	std::vector<unsigned char> rgb;
	if (setjmp(fail.jump)) {
		if (din_made) jpeg_destroy_decompress(&din);
		if (cout_made) jpeg_destroy_compress(&cout);
		std::free(*out);
		*out = nullptr;
		set_err(err, errlen, "crop", fail.msg);
		return 1;
	}
	jpeg_create_decompress(&din);
	din_made = true;
	jpeg_mem_src(&din, data, len);
	jpeg_read_header(&din, TRUE);
	din.out_color_space = JCS_RGB;
	jpeg_start_decompress(&din);
	if (x0 < 0) x0 = 0;
	if (y0 < 0) y0 = 0;
	if (x1 > (int)din.output_width) x1 = din.output_width;
	if (y1 > (int)din.output_height) y1 = din.output_height;
	if (x1 <= x0 || y1 <= y0) {
		jpeg_destroy_decompress(&din);
		set_err(err, errlen, "crop", "empty region");
		return 1;
	}
	// Only the columns around the region are decoded (rounded out to
	// whole iMCUs by libjpeg), and the rows above it skipped.
	JDIMENSION xoff = x0, width = x1 - x0;
	jpeg_crop_scanline(&din, &xoff, &width);
	int skip = x0 - (int)xoff, w = x1 - x0, h = y1 - y0;
	if (y0 > 0) jpeg_skip_scanlines(&din, y0);
	std::vector<unsigned char> row(width * 3);
	rgb.resize((size_t)w * h * 3);
	for (int y = 0; y < h; y++) {
		JSAMPROW rp = row.data();
		jpeg_read_scanlines(&din, &rp, 1);
		std::memcpy(&rgb[(size_t)y * w * 3], &row[(size_t)skip * 3], (size_t)w * 3);
	}
	jpeg_abort_decompress(&din); // the rows below are not needed
	jpeg_destroy_decompress(&din);
	din_made = false;

	jpeg_create_compress(&cout);
	cout_made = true;
	jpeg_mem_dest(&cout, out, outlen);
	cout.image_width = w;
	cout.image_height = h;
	cout.input_components = 3;
	cout.in_color_space = JCS_RGB;
	jpeg_set_defaults(&cout);
	jpeg_set_quality(&cout, q, TRUE);
	jpeg_start_compress(&cout, TRUE);
	while (cout.next_scanline < cout.image_height) {
		JSAMPROW rp = &rgb[(size_t)cout.next_scanline * w * 3];
		jpeg_write_scanlines(&cout, &rp, 1);
	}
	jpeg_finish_compress(&cout);
	jpeg_destroy_compress(&cout);
	return 0;
}

} // extern "C"
