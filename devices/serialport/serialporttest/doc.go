// Package serialporttest gives tests a pseudo-terminal to stand in for a
// serial device: the code under test opens the slave path as it would
// /dev/ttyUSB0, and the test plays the device on the master.
package serialporttest
