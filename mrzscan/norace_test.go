//go:build !race

package mrzscan

const raceDetector = false
