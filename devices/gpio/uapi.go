package gpio

import (
	"encoding/binary"
	"fmt"
	"time"
	"unsafe"
)

// The v2 uAPI of the GPIO character device, as in include/uapi/linux/gpio.h
// (Linux 5.10+). Layouts, with their sizes in bytes:
//
//	gpio_v2_line_attribute (16)        id u32 | padding u32 | flags u64 / values u64 / debounce_period_us u32
//	gpio_v2_line_config_attribute (24) attr (16) | mask u64
//	gpio_v2_line_config (272)          flags u64 | num_attrs u32 | padding [5]u32 | attrs [10] (240)
//	gpio_v2_line_request (592)         offsets [64]u32 | consumer [32]byte | config (272) |
//	                                   num_lines u32 | event_buffer_size u32 | padding [5]u32 | fd s32
//	gpio_v2_line_values (16)           bits u64 | mask u64
//	gpio_v2_line_event (48)            timestamp_ns u64 | id u32 | offset u32 | seqno u32 |
//	                                   line_seqno u32 | padding [6]u32
//
// Every 64-bit field is naturally aligned in these layouts, so the Go
// structs below have the kernel's layout on every architecture.
const (
	maxNameSize = 32
	linesMax    = 64
	numAttrsMax = 10

	flagActiveLow   uint64 = 1 << 1
	flagInput       uint64 = 1 << 2
	flagOutput      uint64 = 1 << 3
	flagEdgeRising  uint64 = 1 << 4
	flagEdgeFalling uint64 = 1 << 5

	attrFlags        uint32 = 1
	attrOutputValues uint32 = 2
	attrDebounce     uint32 = 3

	eventRisingEdge  uint32 = 1
	eventFallingEdge uint32 = 2

	// eventBufferSize is how many edges the kernel keeps for a line before
	// it drops the oldest (0 would be its default of 16).
	eventBufferSize = 64
)

type lineAttribute struct {
	id      uint32
	padding uint32
	value   uint64 // flags, values, or debounce_period_us in its first four bytes
}

type lineConfigAttribute struct {
	attr lineAttribute
	mask uint64
}

type lineConfig struct {
	flags    uint64
	numAttrs uint32
	padding  [5]uint32
	attrs    [numAttrsMax]lineConfigAttribute
}

type lineRequest struct {
	offsets         [linesMax]uint32
	consumer        [maxNameSize]byte
	config          lineConfig
	numLines        uint32
	eventBufferSize uint32
	padding         [5]uint32
	fd              int32
}

type lineValues struct {
	bits uint64
	mask uint64
}

const eventSize = 48

// ioctl numbers: _IOWR(0xB4, nr, size) in the generic encoding
// (asm-generic/ioctl.h: dir<<30 | size<<16 | type<<8 | nr) of the
// architectures gate boxes use (arm, arm64, x86, riscv).
var (
	ioctlGetLine   = iowr(0x07, unsafe.Sizeof(lineRequest{}))
	ioctlGetValues = iowr(0x0E, unsafe.Sizeof(lineValues{}))
	ioctlSetValues = iowr(0x0F, unsafe.Sizeof(lineValues{}))
)

func iowr(nr, size uintptr) uintptr { return 3<<30 | size<<16 | 0xB4<<8 | nr }

// setDebounce writes a debounce period into an attribute's union.
func (a *lineAttribute) setDebounce(d time.Duration) {
	*(*uint32)(unsafe.Pointer(&a.value)) = uint32(d / time.Microsecond)
}

func (a *lineAttribute) debounce() time.Duration {
	return time.Duration(*(*uint32)(unsafe.Pointer(&a.value))) * time.Microsecond
}

// newRequest is the request for one line: an input with both edges (and
// its debounce), or an output whose initial value is inactive.
func newRequest(l Line, output bool) lineRequest {
	var r lineRequest
	r.offsets[0] = uint32(l.Offset)
	r.numLines = 1
	copy(r.consumer[:maxNameSize-1], Consumer)
	c := &r.config
	if output {
		c.flags = flagOutput
		// The line's initial value, in the same request: inactive.
		c.attrs[0] = lineConfigAttribute{attr: lineAttribute{id: attrOutputValues, value: 0}, mask: 1}
		c.numAttrs = 1
	} else {
		c.flags = flagInput | flagEdgeRising | flagEdgeFalling
		r.eventBufferSize = eventBufferSize
		if l.Debounce > 0 {
			c.attrs[0] = lineConfigAttribute{attr: lineAttribute{id: attrDebounce}, mask: 1}
			c.attrs[0].attr.setDebounce(l.Debounce)
			c.numAttrs = 1
		}
	}
	if l.ActiveLow {
		c.flags |= flagActiveLow
	}
	return r
}

// event is one edge the kernel reported (gpio_v2_line_event).
type event struct {
	at     time.Duration // timestamp_ns, CLOCK_MONOTONIC
	active bool          // a rising edge of the logical level
	seqno  uint32        // line_seqno: a gap means the kernel dropped edges
}

// decodeEvents decodes the edges of one read. The kernel returns whole
// events only.
func decodeEvents(b []byte) ([]event, error) {
	if len(b)%eventSize != 0 {
		return nil, fmt.Errorf("gpio: read %d bytes, not a whole number of %d-byte events", len(b), eventSize)
	}
	var evs []event
	for ; len(b) >= eventSize; b = b[eventSize:] {
		id := binary.NativeEndian.Uint32(b[8:])
		if id != eventRisingEdge && id != eventFallingEdge {
			return nil, fmt.Errorf("gpio: unknown event id %d", id)
		}
		evs = append(evs, event{at: time.Duration(binary.NativeEndian.Uint64(b)), active: id == eventRisingEdge,
			seqno: binary.NativeEndian.Uint32(b[20:])})
	}
	return evs, nil
}

// changes turns reported edges into changes of the level, from last: an
// edge that does not change it (one that came before the initial level was
// read, or after edges the kernel dropped) gives none.
func changes(last bool, evs []event) []bool {
	var out []bool
	for _, e := range evs {
		if e.active != last {
			last = e.active
			out = append(out, last)
		}
	}
	return out
}
