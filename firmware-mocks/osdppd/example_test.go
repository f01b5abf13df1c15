package osdppd_test

import (
	"fmt"

	"menwei/devices/osdp"
	"menwei/firmware-mocks/osdppd"
)

// A test drives the PD frame by frame: present a card, then POLL.
func ExamplePD_Handle() {
	pd, err := osdppd.New(osdppd.Config{Addr: 5, Install: true})
	if err != nil {
		panic(err)
	}
	poll := func(seq byte) {
		wire, _ := osdp.AppendEncode(nil, osdp.Frame{Addr: 5, Seq: seq, CRC: true, Code: osdp.CmdPOLL})
		cmd, _, _ := osdp.Decode(wire)
		reply, _, _ := osdp.Decode(pd.Handle(cmd))
		m, _ := osdp.ParseReply(reply.Code, reply.Data)
		fmt.Printf("%s %v\n", osdp.CodeName(reply.Code, true), m)
	}
	poll(0)
	pd.PresentWiegand26(1, 1234)
	poll(1)
	poll(2)
	// Output:
	// ACK {}
	// RAW RAW{reader=0 format=1 bits=26}
	// ACK {}
}
