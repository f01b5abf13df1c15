//go:build !race

package faceindex

const raceDetector = false
