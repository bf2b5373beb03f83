package testkit

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

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

// lineLog collects what is written to it line by line, and lets a test wait
// for a line.
type lineLog struct {
	mu      sync.Mutex
	lines   []string      // complete lines so far
	partial []byte        // an incomplete last line
	cursor  int           // lines before this index were consumed by awaitLine
	changed chan struct{} // closed and replaced when a line arrives
	ended   error         // why no more lines will come, once that is so
	noEOL   bool          // the last line ended without a newline
}

func newLineLog() *lineLog { return &lineLog{changed: make(chan struct{})} }

// Write appends b, splitting it into lines.
func (l *lineLog) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, b...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		l.lines = append(l.lines, string(l.partial[:i]))
		l.partial = l.partial[i+1:]
	}
	l.notifyLocked()
	return len(b), nil
}

// close says that nothing more will be written, and why.
func (l *lineLog) close(why error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.partial) > 0 {
		l.lines = append(l.lines, string(l.partial))
		l.partial = nil
		l.noEOL = true
	}
	l.ended = why
	l.notifyLocked()
}

// notifyLocked wakes every waiter; l.mu must be held.
func (l *lineLog) notifyLocked() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// String returns everything written so far.
func (l *lineLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := strings.Join(l.lines, "\n")
	if len(l.lines) > 0 && !l.noEOL {
		s += "\n"
	}
	return s + string(l.partial)
}

// awaitLine waits for the next line (after those already consumed) that
// starts with prefix, consumes the lines up to it, and returns it.
func (l *lineLog) awaitLine(prefix string, timeout time.Duration) (string, error) {
	deadline := time.After(timeout)
	for {
		l.mu.Lock()
		for i := l.cursor; i < len(l.lines); i++ {
			if strings.HasPrefix(l.lines[i], prefix) {
				l.cursor = i + 1
				line := l.lines[i]
				l.mu.Unlock()
				return line, nil
			}
		}
		changed, ended := l.changed, l.ended
		l.mu.Unlock()
		if ended != nil {
			return "", fmt.Errorf("%v before a line starting with %q", ended, prefix)
		}
		select {
		case <-changed:
		case <-deadline:
			return "", fmt.Errorf("no line starting with %q within %v", prefix, timeout)
		}
	}
}
