package cardnum_test

import (
	"fmt"

	"menwei/devices/cardnum"
)

// The number printed on a card, and the key of the frame a W26 reader sends.
func Example() {
	n, err := cardnum.Parse("0012345678", cardnum.Dec10)
	if err != nil {
		panic(err)
	}
	key, _ := n.Key(26)
	fmt.Println(n.Format(cardnum.W26), n.Format(cardnum.Hex), key)
	// Output: 188,24910 00BC614E h10301:188:24910
}
