package faceindex_test

import (
	"fmt"

	"menwei/biometric/faceindex"
)

// face returns a toy descriptor at position p on the first axis.
func face(p float32) faceindex.Descriptor {
	var d faceindex.Descriptor
	d[0] = p
	return d
}

func ExampleIndex_Search() {
	x, err := faceindex.New(faceindex.Config{}) // threshold 0.5, margin 0.08
	if err != nil {
		panic(err)
	}
	// Two photos of Alice, one of Bob; ids are the caller's.
	_ = x.Add("alice", "alice/front", face(0))
	_ = x.Add("alice", "alice/glasses", face(0.1))
	_ = x.Add("bob", "bob/front", face(0.9))

	for _, q := range []float32{0.05, 0.52, 1.8} {
		r := x.Search(face(q))
		fmt.Printf("%.2f: %-9s %-5q nearest %s at %.2f, runner %s at %.2f\n",
			q, r.Reason, r.Identity, r.Nearest, r.Distance, r.Runner, r.RunnerDistance)
	}
	// Output:
	// 0.05: match     "alice" nearest alice at 0.05, runner bob at 0.85
	// 0.52: ambiguous ""    nearest bob at 0.38, runner alice at 0.42
	// 1.80: too_far   ""    nearest bob at 0.90, runner alice at 1.70
}
