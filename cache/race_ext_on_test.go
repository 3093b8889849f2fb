//go:build race

package cache_test

// raceOn: the race detector's instrumentation allocates where a plain build does not.
const raceOn = true
