//go:build race

package mrzscan

// raceDetector trims the image-heavy tests: every pixel access is
// instrumented under -race, which makes a page take a minute.
const raceDetector = true
