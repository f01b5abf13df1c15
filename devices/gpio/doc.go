// Package gpio gives the controller the box's own GPIO lines: an output
// that drives a lock's relay and inputs that report door contacts,
// request-to-exit buttons and fire-alarm contacts. Callers think only in
// "active" (released, open, pressed, alarm): active_low is applied by the
// kernel, which also reports edges in those terms.
//
// Lines are opened through the Linux GPIO character device with the v2
// uAPI (linux/gpio.h, Linux 5.10 and later; docs.kernel.org
// userspace-api/gpio/chardev.rst), never through sysfs:
//
//	open("/dev/gpiochip0")
//	ioctl(chip, GPIO_V2_GET_LINE_IOCTL, &gpio_v2_line_request{
//	    offsets: [17], num_lines: 1, consumer: "menwei",
//	    config: {flags: INPUT|EDGE_RISING|EDGE_FALLING[|ACTIVE_LOW],
//	             attrs: [{DEBOUNCE, debounce_period_us: 20000, mask: 1}]}})
//	    -> request.fd, one line held until it is closed
//	ioctl(line, GPIO_V2_LINE_GET_VALUES_IOCTL, &values)   initial level
//	read(line) -> gpio_v2_line_event{timestamp_ns, id: RISING_EDGE|FALLING_EDGE, ...}
//	ioctl(line, GPIO_V2_LINE_SET_VALUES_IOCTL, &values)   an output's level
//
// An output is requested as OUTPUT with its initial value inactive in the
// same request (OUTPUT_VALUES), so opening a lock's line never releases
// the door, not even for a moment.
//
// # Why golang.org/x/sys/unix and not periph.io/x/host/v3/gpioioctl
//
// periph's gpioioctl v3.8.5 is a character-device driver, but it does not
// give what a door needs: it never sets GPIO_V2_LINE_FLAG_ACTIVE_LOW nor
// the DEBOUNCE attribute (its getFlags knows direction, bias and edges
// only); GPIOLine.WaitForEdge does not say which edge came; an output is
// first requested as it is and then reconfigured, not requested with its
// initial value; the consumer label is a package global ("program@pid",
// not "menwei"); and it logs through the standard library's global logger
// and registers a global driver in init. The v2 uAPI is four ioctls and
// three structs, written out in uapi.go beside the kernel header's layout
// (sizes checked by the tests), so this package speaks it directly.
//
// # Debounce
//
// Inputs are debounced by the kernel: the DEBOUNCE attribute of the v2
// request (hardware debounce where the chip has it, else gpiolib-cdev's
// software debounce, on every chip whose line has an interrupt). An edge is
// reported only once the line has been stable for the period, so contact
// bounce within the window gives one change or none, and no goroutine here
// runs a timer. Reported edges that do not change the level (a change
// that happened before the initial level was read) are dropped, so a
// caller sees strictly alternating levels.
//
// The gpiotest package has a fake bank of lines for tests; the tests of
// this package exercise the real character device through the kernel's
// gpio-sim when it is there (see docs/config.md).
package gpio
