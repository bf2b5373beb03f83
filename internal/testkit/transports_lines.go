package testkit

import "time"

// AwaitLine is WaitLine for a goroutine other than the test's (one that
// hands the result to an event loop, say): it waits at most timeout for the
// next stdout line starting with prefix, consumes the lines up to it and
// returns it, or returns an error instead of failing the test.
func (p *Process) AwaitLine(prefix string, timeout time.Duration) (string, error) {
	return p.out.awaitLine(prefix, timeout)
}

// Unread returns the stdout written so far after the lines already
// consumed by WaitLine, ReadLine or AwaitLine; once the process has exited,
// that is the rest of its output.
func (p *Process) Unread() string {
	l := p.out
	l.mu.Lock()
	defer l.mu.Unlock()
	var s string
	for i := l.cursor; i < len(l.lines); i++ {
		s += l.lines[i]
		if i < len(l.lines)-1 || !l.noEOL {
			s += "\n"
		}
	}
	return s + string(l.partial)
}
