package fpmodule

import "menwei/devices/fpm"

// setSysPara answers SetSysPara (0x0E): parameter 4 sets the rate to
// Value × 9600 (Value 1..12), 5 the security level (1..5), 6 the data
// packet size (0..3: 32, 64, 128 or 256 bytes), which UpChar and UpImage
// use from then on. ReadSysPara reports the new values. Another parameter
// number is 0x1A (invalid register), and so is a value out of its range,
// which the datasheet does not say; either changes nothing.
//
// A real module switches its line to the new rate after the
// acknowledgement; on a pseudo-terminal the rate is only reported.
func (m *Module) setSysPara(c fpm.SetSysPara) []fpm.Packet {
	v := int(c.Value)
	switch {
	case c.Param == fpm.ParamBaud && v >= 1 && v <= maxBaudMultiple:
		m.params.baud = v * 9600
	case c.Param == fpm.ParamSecurityLevel && v >= 1 && v <= maxSecurityLevel:
		m.params.securityLevel = v
	case c.Param == fpm.ParamPacketSize && v < len(packetSizes):
		m.params.packetSize = packetSizes[v]
	default:
		return m.ack(fpm.CodeBadRegister, nil)
	}
	return m.ack(fpm.CodeOK, nil)
}

// packetSizes are the data packet sizes by SetSysPara code.
var packetSizes = [...]int{32, 64, 128, 256}
