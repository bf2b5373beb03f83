// Package testkit holds small helpers that the tests of several starnet
// packages share: goroutine-safe output buffers a test can wait on, and
// python3 peer scripts.
//
// It is for tests only: import it from _test.go files, never from code that
// is built into a starnet library or binary. It imports nothing but the
// standard library, so that the internal tests of every package (loop
// included) can use it without an import cycle.
package testkit
