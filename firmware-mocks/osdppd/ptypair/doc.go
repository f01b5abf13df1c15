// Package ptypair opens a pseudo-terminal pair that stands in for a USB
// RS-485 adapter: an emulator serves the master, the program under test
// opens the slave (or a symlink to it) as its serial port.
//
// Both ends are in raw mode, and the master is non-blocking so that
// SetReadDeadline works on it and a blocked Read can be interrupted
// (creack/pty hands it back in blocking mode).
package ptypair
