package fpmodule_test

import (
	"fmt"

	"menwei/devices/fpm"
	"menwei/firmware-mocks/fpmodule"
)

// A test drives the module packet by packet: put a finger on, capture it.
func ExampleModule_Handle() {
	m, err := fpmodule.New(fpmodule.Config{})
	if err != nil {
		panic(err)
	}
	genImg := func() {
		for _, wire := range m.Handle(fpm.NewCommand(fpm.DefaultAddr, fpm.GenImg{})) {
			ack, _, _ := fpm.Decode(wire)
			_, err := fpm.ParseReply(fpm.InsGenImg, ack.Data)
			fmt.Printf("% x: %v\n", wire, err)
		}
	}
	genImg()
	m.PutFinger(7)
	genImg()
	// Output:
	// ef 01 ff ff ff ff 07 00 03 02 00 0c: fpm: GenImg: no finger (0x02)
	// ef 01 ff ff ff ff 07 00 03 00 00 0a: <nil>
}
