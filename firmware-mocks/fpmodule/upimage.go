package fpmodule

import (
	"math"

	"menwei/devices/fpm"
)

// upImage answers UpImage (0x0A): the acknowledgement, then the image
// buffer in data packets of the configured packet size, the last one
// PIDDataLast: fpm.ImageBytes (36,864) bytes, 256 × 288 pixels at four bits
// each, two a byte, high nibble first. An image buffer without a valid
// image (no GenImg yet, or a failed one) is 0x0F, with no data packets.
func (m *Module) upImage() []fpm.Packet {
	if m.image == nil {
		return m.ack(fpm.CodeUploadImage, nil)
	}
	img := fingerImage(m.image.finger, m.image.capture)
	data, err := fpm.SplitData(m.cfg.Addr, img, m.params.packetSize)
	if err != nil { // the packet size was validated by New and SetSysPara
		return m.ack(fpm.CodeUploadImage, nil)
	}
	return append(m.ack(fpm.CodeOK, nil), data...)
}

// fingerImage draws capture n of finger id as the sensor would see it: a
// white background (0xF) and, inside an oval pad, dark ridges (0x2) in
// rings around a core placed by the finger id, shifted a little by each
// capture. It only has to look like a fingerprint and tell fingers apart.
func fingerImage(id, n int) []byte {
	const w, h = fpm.ImageWidth, fpm.ImageHeight
	u := uint32(id)
	cx := float64(w/2) + float64(int(u%33)-16) + float64(n%3-1)
	cy := float64(h/2) + float64(int(u/33%33)-16) + float64(n%5-2)
	period := 7 + float64(u%4)
	b := make([]byte, fpm.ImageBytes)
	for y := range h {
		for x := range w {
			px := byte(0xF)
			ex, ey := (float64(x)-w/2)/(w*0.42), (float64(y)-h/2)/(h*0.45)
			if ex*ex+ey*ey <= 1 {
				r := math.Hypot(float64(x)-cx, (float64(y)-cy)*0.8)
				if math.Mod(r, period) < period/2 {
					px = 0x2
				} else {
					px = 0xC
				}
			}
			i := (y*w + x) / 2
			if x%2 == 0 {
				b[i] |= px << 4
			} else {
				b[i] |= px
			}
		}
	}
	return b
}
