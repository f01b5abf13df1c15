package fpmodule

import (
	"encoding/binary"
	"fmt"
	"time"

	"menwei/devices/fpm"
)

// Timing is how long the module works on an instruction before its
// acknowledgement goes on the line. Serve waits it out on Config.After;
// Handle always answers at once, so tests driving it packet by packet never
// wait. The zero Timing answers at once; R307Timing is what a real module
// takes.
//
// A refusal (wrong password, bad parameters, a buffer or page that does
// not exist, nothing to work on) takes Other: the module answers as soon as
// it has read the packet.
type Timing struct {
	// GenImg is a capture: a finger on the sensor, imaged (or a capture
	// spoilt by BadImage).
	GenImg time.Duration
	// GenImgNoFinger is a scan of the sensor that found no finger.
	GenImgNoFinger time.Duration
	// Img2Tz is the making of a char file from the image.
	Img2Tz time.Duration
	// Match is the comparison of char buffers 1 and 2.
	Match time.Duration
	// Search and SearchPerPage time Search and HighSpeedSearch: Search,
	// plus SearchPerPage for every library page compared (up to the match,
	// or all of them when none matches).
	Search, SearchPerPage time.Duration
	// RegModel is the merge of char buffers 1 and 2.
	RegModel time.Duration
	// Store is a flash access: Store, LoadChar, DeleteChar, Empty.
	Store time.Duration
	// Other is every other instruction, and every refusal.
	Other time.Duration
}

// R307Timing is about what an R307 / AS608 module takes, from the end of
// the command packet to the start of the acknowledgement: capture 300 ms,
// char file 200 ms, search 150 ms plus 0.5 ms a page (300 ms for the
// factory library of 300), merge 100 ms, match 50 ms, a scan that finds no
// finger 50 ms, a flash access 30 ms, anything else 5 ms. They are
// estimates inside the datasheet's bounds (image acquisition under 0.5 s,
// search under 1 s), not measurements of one module. The time the packets
// take on the wire is not included.
func R307Timing() Timing {
	return Timing{
		GenImg:         300 * time.Millisecond,
		GenImgNoFinger: 50 * time.Millisecond,
		Img2Tz:         200 * time.Millisecond,
		Match:          50 * time.Millisecond,
		Search:         150 * time.Millisecond,
		SearchPerPage:  500 * time.Microsecond,
		RegModel:       100 * time.Millisecond,
		Store:          30 * time.Millisecond,
		Other:          5 * time.Millisecond,
	}
}

func (t Timing) validate() error {
	for _, d := range []time.Duration{t.GenImg, t.GenImgNoFinger, t.Img2Tz, t.Match,
		t.Search, t.SearchPerPage, t.RegModel, t.Store, t.Other} {
		if d < 0 {
			return fmt.Errorf("fpmodule: timing %v: negative", d)
		}
	}
	return nil
}

// busy is how long the module works on command c (nil when the packet did
// not parse) that it acknowledged with ack's contents, in a library of
// slots pages.
func (t Timing) busy(c fpm.Command, ack []byte, slots int) time.Duration {
	if len(ack) == 0 {
		return t.Other
	}
	code := fpm.Code(ack[0])
	done := func(also ...fpm.Code) bool {
		if code == fpm.CodeOK {
			return true
		}
		for _, a := range also {
			if code == a {
				return true
			}
		}
		return false
	}
	switch c := c.(type) {
	case fpm.GenImg:
		switch {
		case code == fpm.CodeNoFinger:
			return t.GenImgNoFinger
		case done(fpm.CodeDisorderly):
			return t.GenImg
		}
	case fpm.Img2Tz:
		if done(fpm.CodeDisorderly) {
			return t.Img2Tz
		}
	case fpm.Match:
		if done(fpm.CodeNoMatch) {
			return t.Match
		}
	case fpm.Search:
		if done(fpm.CodeNotFound) {
			return t.search(c, ack, slots)
		}
	case fpm.HighSpeedSearch:
		if done(fpm.CodeNotFound) {
			return t.search(fpm.Search(c), ack, slots)
		}
	case fpm.RegModel:
		if done(fpm.CodeMergeFailed) {
			return t.RegModel
		}
	case fpm.Store, fpm.LoadChar, fpm.DeleteChar, fpm.Empty:
		if done() {
			return t.Store
		}
	}
	return t.Other
}

// search times a search that ran: the pages from c.Start compared up to the
// page found, or to the end of the range.
func (t Timing) search(c fpm.Search, ack []byte, slots int) time.Duration {
	end := min(int(c.Start)+int(c.Count), slots)
	if fpm.Code(ack[0]) == fpm.CodeOK && len(ack) >= 3 {
		end = int(binary.BigEndian.Uint16(ack[1:])) + 1
	}
	return t.Search + time.Duration(max(0, end-int(c.Start)))*t.SearchPerPage
}
