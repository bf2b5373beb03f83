package testkit

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// SyncBuffer is a bytes.Buffer that is safe to write from one goroutine (a
// loop's, a child process's copier) while the test reads it. Its zero value
// is an empty buffer ready to use.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p to the buffer.
func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Output is a goroutine-safe io.Writer (for a runtime's Config.Stdout, or a
// child process's stdout) that a test can wait on until some text has been
// written. Make one with NewOutput.
type Output struct {
	buf     SyncBuffer
	changed chan struct{}
}

// NewOutput returns an empty Output.
func NewOutput() *Output { return &Output{changed: make(chan struct{}, 1)} }

// Write appends p and wakes a waiting WaitFor.
func (o *Output) Write(p []byte) (int, error) {
	n, err := o.buf.Write(p)
	select {
	case o.changed <- struct{}{}:
	default:
	}
	return n, err
}

// String returns everything written so far.
func (o *Output) String() string { return o.buf.String() }

// WaitFor waits until the output contains text, and fails the test (showing
// the output) if that has not happened within timeout.
func (o *Output) WaitFor(t testing.TB, text string, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for !strings.Contains(o.String(), text) {
		select {
		case <-o.changed:
		case <-deadline:
			t.Fatalf("timed out waiting for %q in output:\n%s", text, o.String())
		}
	}
}
