package testkit

import "testing"

// Lines is a goroutine-safe io.Writer that collects what is written to it
// line by line, so that a test can wait for a line: the Stdout of a runtime
// the test embeds (for a child process, Start does the same). Make one with
// NewLines.
type Lines struct{ log *lineLog }

// NewLines returns an empty Lines.
func NewLines() *Lines { return &Lines{log: newLineLog()} }

// Write appends b, splitting it into lines.
func (l *Lines) Write(b []byte) (int, error) { return l.log.Write(b) }

// String returns everything written so far.
func (l *Lines) String() string { return l.log.String() }

// WaitLine waits for the next line (after those already consumed) that
// starts with prefix, consumes the lines up to it, and returns it. It fails
// the test (showing what was written) if WaitTimeout passes first.
func (l *Lines) WaitLine(t testing.TB, prefix string) string {
	t.Helper()
	line, err := l.log.awaitLine(prefix, WaitTimeout)
	if err != nil {
		t.Fatalf("%v; written so far:\n%s", err, l.String())
	}
	return line
}
