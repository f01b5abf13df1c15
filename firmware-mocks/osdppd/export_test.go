package osdppd

// DecodeCommand is decodeCommand, for the fuzz test of the PD's receiver.
var DecodeCommand = decodeCommand
