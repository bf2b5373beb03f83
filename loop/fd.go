package loop

import "fmt"

// AddReader calls cb each time fd is readable (level-triggered), replacing
// any reader already registered for fd. fd must be non-blocking.
func (l *Loop) AddReader(fd int, cb func()) error {
	if err := l.checkWatch(fd, cb); err != nil {
		return fmt.Errorf("add reader: %w", err)
	}
	ent := l.fdEntry(fd)
	if old := ent.interest(); old&interestRead == 0 {
		if err := l.poller.update(fd, old, old|interestRead); err != nil {
			return fmt.Errorf("add reader: %w", err)
		}
	}
	if ent.reader != nil {
		ent.reader.Cancel()
	}
	ent.reader = &Handle{fn: cb, loop: l}
	return nil
}

// AddWriter calls cb each time fd is writable (level-triggered), replacing
// any writer already registered for fd.
func (l *Loop) AddWriter(fd int, cb func()) error {
	if err := l.checkWatch(fd, cb); err != nil {
		return fmt.Errorf("add writer: %w", err)
	}
	ent := l.fdEntry(fd)
	if old := ent.interest(); old&interestWrite == 0 {
		if err := l.poller.update(fd, old, old|interestWrite); err != nil {
			return fmt.Errorf("add writer: %w", err)
		}
	}
	if ent.writer != nil {
		ent.writer.Cancel()
	}
	ent.writer = &Handle{fn: cb, loop: l}
	return nil
}

// RemoveReader stops watching fd for reading; it reports whether a reader was
// registered.
func (l *Loop) RemoveReader(fd int) bool {
	if l.closed.Load() || fd < 0 || fd >= len(l.fds) || l.fds[fd].reader == nil {
		return false
	}
	ent := &l.fds[fd]
	old := ent.interest()
	// An error here means the descriptor is gone, which is what we want.
	_ = l.poller.update(fd, old, old&^interestRead)
	ent.reader.Cancel() // it may be queued for this iteration already
	ent.reader = nil
	return true
}

// RemoveWriter stops watching fd for writing; it reports whether a writer was
// registered.
func (l *Loop) RemoveWriter(fd int) bool {
	if l.closed.Load() || fd < 0 || fd >= len(l.fds) || l.fds[fd].writer == nil {
		return false
	}
	ent := &l.fds[fd]
	old := ent.interest()
	_ = l.poller.update(fd, old, old&^interestWrite)
	ent.writer.Cancel()
	ent.writer = nil
	return true
}

// checkWatch validates AddReader and AddWriter arguments.
func (l *Loop) checkWatch(fd int, cb func()) error {
	switch {
	case l.closed.Load():
		return ErrClosed
	case fd < 0:
		return Errorf("ValueError", "invalid file descriptor: %d", fd)
	case fd == l.wake.rfd || fd == l.wake.wfd:
		return Errorf("ValueError", "fd %d is the loop's own wakeup descriptor", fd)
	case cb == nil:
		return Errorf("TypeError", "callback for fd %d must not be nil", fd)
	}
	return nil
}

// fdEntry returns the registration slot of fd, growing the table as needed.
func (l *Loop) fdEntry(fd int) *fdEntry {
	if fd >= len(l.fds) {
		grown := make([]fdEntry, max(fd+1, 2*len(l.fds), 64))
		copy(grown, l.fds)
		l.fds = grown
	}
	return &l.fds[fd]
}
