//go:build race

package faceindex

// raceDetector makes the slowest tests smaller under the race detector,
// whose business is the concurrency tests.
const raceDetector = true
