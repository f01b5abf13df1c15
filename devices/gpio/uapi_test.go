package gpio

import (
	"encoding/binary"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The structs have the sizes of include/uapi/linux/gpio.h, and the ioctl
// numbers are the header's (GPIO_V2_GET_LINE_IOCTL is 0xc250b407 on arm,
// arm64 and x86).
func TestLayoutIsTheKernels(t *testing.T) {
	assert.EqualValues(t, 16, unsafe.Sizeof(lineAttribute{}))
	assert.EqualValues(t, 24, unsafe.Sizeof(lineConfigAttribute{}))
	assert.EqualValues(t, 272, unsafe.Sizeof(lineConfig{}))
	assert.EqualValues(t, 592, unsafe.Sizeof(lineRequest{}))
	assert.EqualValues(t, 16, unsafe.Sizeof(lineValues{}))
	assert.EqualValues(t, 592-4, unsafe.Offsetof(lineRequest{}.fd))
	assert.EqualValues(t, 256+32, unsafe.Offsetof(lineRequest{}.config))
	assert.Equal(t, uintptr(0xc250b407), ioctlGetLine)
	assert.Equal(t, uintptr(0xc010b40e), ioctlGetValues)
	assert.Equal(t, uintptr(0xc010b40f), ioctlSetValues)
}

func TestInputRequest(t *testing.T) {
	r := newRequest(Line{Chip: "gpiochip0", Offset: 22, ActiveLow: true, Debounce: 20 * time.Millisecond}, false)
	assert.Equal(t, uint32(22), r.offsets[0])
	assert.Equal(t, uint32(1), r.numLines)
	assert.Equal(t, "menwei", string(r.consumer[:6]))
	assert.Zero(t, r.consumer[6], "NUL-terminated")
	assert.Equal(t, flagInput|flagEdgeRising|flagEdgeFalling|flagActiveLow, r.config.flags, "active_low is the kernel's: edges and values come logical")
	require.Equal(t, uint32(1), r.config.numAttrs)
	a := r.config.attrs[0]
	assert.Equal(t, attrDebounce, a.attr.id)
	assert.Equal(t, uint64(1), a.mask, "for the one line requested")
	assert.Equal(t, 20*time.Millisecond, a.attr.debounce())
	var raw [4]byte
	binary.NativeEndian.PutUint32(raw[:], 20000)
	assert.Equal(t, raw[:], (*[16]byte)(unsafe.Pointer(&a.attr))[8:12], "debounce_period_us is the union's first u32")

	r = newRequest(Line{Chip: "gpiochip0", Offset: 23}, false)
	assert.Equal(t, flagInput|flagEdgeRising|flagEdgeFalling, r.config.flags, "active high")
	assert.Zero(t, r.config.numAttrs, "no debounce asked, none requested")
}

// An output is requested with its initial value inactive in the same
// request: opening a lock's line does not release the door.
func TestOutputRequest(t *testing.T) {
	for _, low := range []bool{false, true} {
		r := newRequest(Line{Chip: "gpiochip0", Offset: 17, ActiveLow: low}, true)
		want := flagOutput
		if low {
			want |= flagActiveLow
		}
		assert.Equal(t, want, r.config.flags)
		require.Equal(t, uint32(1), r.config.numAttrs)
		assert.Equal(t, lineConfigAttribute{attr: lineAttribute{id: attrOutputValues, value: 0}, mask: 1}, r.config.attrs[0])
	}
}

func rawEvent(id, lineSeq uint32, ns uint64) []byte {
	b := make([]byte, eventSize)
	binary.NativeEndian.PutUint64(b, ns)
	binary.NativeEndian.PutUint32(b[8:], id)
	binary.NativeEndian.PutUint32(b[12:], 17)
	binary.NativeEndian.PutUint32(b[16:], lineSeq)
	binary.NativeEndian.PutUint32(b[20:], lineSeq)
	return b
}

func TestDecodeEvents(t *testing.T) {
	b := append(rawEvent(eventRisingEdge, 1, 1000), rawEvent(eventFallingEdge, 2, 2000)...)
	evs, err := decodeEvents(b)
	require.NoError(t, err)
	assert.Equal(t, []event{{at: 1000, active: true, seqno: 1}, {at: 2000, active: false, seqno: 2}}, evs)

	_, err = decodeEvents(b[:eventSize+3])
	assert.ErrorContains(t, err, "not a whole number")
	_, err = decodeEvents(rawEvent(7, 1, 0))
	assert.ErrorContains(t, err, "unknown event id 7")
}

// Edges become strictly alternating changes of the level: an edge that
// does not change it gives none.
func TestChanges(t *testing.T) {
	ev := func(active ...bool) []event {
		var out []event
		for _, a := range active {
			out = append(out, event{active: a})
		}
		return out
	}
	assert.Empty(t, changes(true, ev(true)), "the edge that the initial read already saw")
	assert.Equal(t, []bool{false, true}, changes(true, ev(true, false, true)))
	assert.Equal(t, []bool{true}, changes(false, ev(true, true)), "an edge lost between two rising ones")
}

func TestLineValidate(t *testing.T) {
	assert.NoError(t, Line{Chip: "gpiochip0", Offset: 0, Debounce: time.Second}.validate(true))
	assert.ErrorContains(t, Line{Chip: "gpiochip0", Offset: 0, Debounce: 2 * time.Second}.validate(true), "debounce 2s out of range")
	assert.ErrorContains(t, Line{Chip: "gpiochip0", Offset: 0, Debounce: time.Millisecond}.validate(false), "debounce is for inputs")
	assert.ErrorContains(t, Line{Chip: "gpiochip0", Offset: -1}.validate(true), "line -1")
	assert.ErrorContains(t, Line{Offset: 1}.validate(true), "no chip")
	assert.Equal(t, "/dev/gpiochip0", Line{Chip: "gpiochip0"}.Path())
	assert.Equal(t, "/dev/gpio/a", Line{Chip: "/dev/gpio/a"}.Path())
}
