package fpm

import (
	"errors"
	"fmt"
)

// ErrTransfer is returned by JoinData for a sequence of packets that is not
// one data transfer.
var ErrTransfer = errors.New("fpm: bad data transfer")

// SplitData cuts data (a char file or template) into the data packets that
// carry it to or from the module at addr: size bytes each (the module's
// packet size: 32, 64, 128 or 256), PIDData for all but the last, which is
// PIDDataLast and may be shorter.
func SplitData(addr uint32, data []byte, size int) ([]Packet, error) {
	if _, ok := PacketSizeCode(size); !ok {
		return nil, fmt.Errorf("fpm: data packet size %d: not 32, 64, 128 or 256", size)
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("%w: nothing to send", ErrTransfer)
	}
	var out []Packet
	for len(data) > 0 {
		n := min(size, len(data))
		pid := PIDData
		if n == len(data) {
			pid = PIDDataLast
		}
		out = append(out, Packet{Addr: addr, PID: pid, Data: data[:n:n]})
		data = data[n:]
	}
	return out, nil
}

// JoinData concatenates the contents of one transfer: zero or more PIDData
// packets and a final PIDDataLast.
func JoinData(ps []Packet) ([]byte, error) {
	if len(ps) == 0 {
		return nil, fmt.Errorf("%w: no packets", ErrTransfer)
	}
	var out []byte
	for i, p := range ps {
		last := i == len(ps)-1
		switch {
		case last && p.PID != PIDDataLast:
			return nil, fmt.Errorf("%w: ends with %v", ErrTransfer, p)
		case !last && p.PID != PIDData:
			return nil, fmt.Errorf("%w: packet %d is %v", ErrTransfer, i, p)
		}
		out = append(out, p.Data...)
	}
	return out, nil
}
