// Package serialport is the one place in menwei that knows how
// github.com/tarm/serial behaves on Linux. Everything above it (the OSDP
// poll loop, the fingerprint module driver, the emulators' tests) sees a
// Port: an io.ReadWriteCloser that blocks in Read until bytes arrive, the
// port is closed (ErrClosed) or the device goes away (ErrGone).
//
// The quirks it hides:
//
//   - tarm sets VMIN=0 and VTIME from Config.ReadTimeout, in tenths of a
//     second (1..255, truncated). A read that times out returns (0, io.EOF),
//     which is also what a hung-up tty returns. Serial.Read loops over those
//     timeouts and never returns (0, nil) or io.EOF. ReadTimeout is therefore
//     not a read deadline but the interval at which a blocked Read looks at
//     whether the port was closed or the device node vanished.
//   - With ReadTimeout 0 tarm blocks forever, and closing the file does not
//     wake a reader blocked in read(2): the descriptor is only released when
//     the read returns. Config never passes 0, so Close wakes a blocked Read
//     within one ReadTimeout.
//   - An unplugged device shows up as EIO, ENXIO or ENODEV from write, and as
//     a device node that disappears (or is replaced by a new one under the
//     same name) for os.Stat. Closing a pty master hangs the slave up:
//     reads return (0, io.EOF) at once, writes fail with EIO, and /dev/pts/N
//     disappears. A tty hung up while its node stays (TIOCVHANGUP) is caught
//     because its (0, io.EOF) reads return far sooner than the timeout. All
//     of these become ErrGone.
//   - tarm rejects non-standard rates and a pty ignores the rate altogether;
//     Config accepts the standard rates from 1200 to 230400.
//   - tarm writes its own termios (8N1, no parity checking, no output or
//     line processing, no echo, no flow control), so the port is raw once
//     opened. The file stays in blocking mode: deadlines are not supported,
//     and Close does not wake a blocked Write. A UART drains at line rate, a
//     pty whose master nobody reads blocks once its buffer fills.
//
// Reopener keeps a Port alive across unplug and replug: it reopens with
// jittered exponential backoff, blocks readers while the device is away and
// fails writes at once, so a poll loop counts a missed reply instead of
// stalling.
//
// The serialporttest package gives tests a raw pseudo-terminal pair to
// stand in for a device.
package serialport
