// Package testkit holds small helpers that the tests of several starnet
// packages share: goroutine-safe output buffers a test can wait on, the one
// runner for peer processes (python3, socat, openssl, the CLI) with
// line-by-line waiting, the check for an external tool a test needs, and
// python3 peer scripts.
//
// It is for tests only: import it from _test.go files, never from code that
// is built into a starnet library or binary. It imports only the standard
// library (and testify in its own tests), so that the internal tests of
// every package (loop included) can use it without an import cycle.
package testkit
