package osdp

// crcTable is CRC-16/AUG-CCITT (poly 0x1021, not reflected), spec Annex E.
var crcTable = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()

// CRC16 returns the OSDP CRC-16 of b (initial value 0x1D0F).
func CRC16(b []byte) uint16 {
	crc := uint16(0x1D0F)
	for _, x := range b {
		crc = crc<<8 ^ crcTable[byte(crc>>8)^x]
	}
	return crc
}

// Checksum returns the OSDP 8-bit checksum: the two's complement of the sum.
func Checksum(b []byte) byte {
	var s byte
	for _, x := range b {
		s += x
	}
	return -s
}
