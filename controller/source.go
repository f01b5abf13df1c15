package controller

// A source is where a credential reaches a door: a reader on an OSDP PD, a
// Wiegand converter, a fingerprint module, or a paired phone. Only an OSDP
// PD can be told to show feedback (LED, beep) or asked for a face.
type source struct {
	kind sourceKind
	pd   pdKey  // fromPD
	name string // the converter's or module's name, the phone's device id
}

type sourceKind uint8

const (
	fromPD sourceKind = iota + 1
	fromConverter
	fromFingerprint
	fromPhone
)

func pdSource(k pdKey) source                { return source{kind: fromPD, pd: k} }
func converterSource(name string) source     { return source{kind: fromConverter, name: name} }
func fingerprintSource(module string) source { return source{kind: fromFingerprint, name: module} }
func phoneSource(device string) source       { return source{kind: fromPhone, name: device} }

// sourceName is the source as events name it (the PD field): the PD's,
// converter's or module's name; "" for a phone, which the event names by
// its factor and identity.
func (c *Controller) sourceName(s source) string {
	switch s.kind {
	case fromPD:
		return c.pdName[s.pd]
	case fromConverter, fromFingerprint:
		return s.name
	}
	return ""
}
