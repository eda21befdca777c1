//go:build race

package main

// raceEnabled is true when the tests run with -race; the binary the
// process tests start is then built with it too.
const raceEnabled = true
