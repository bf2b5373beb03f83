//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package loop

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// wakeupFD wakes a loop blocked in its poller from another goroutine: a
// non-blocking self-pipe.
type wakeupFD struct {
	rfd, wfd int
	one      [1]byte
	sink     [64]byte
}

func newWakeup() (*wakeupFD, error) {
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		return nil, fmt.Errorf("pipe: %w", err)
	}
	for _, fd := range p {
		unix.CloseOnExec(fd)
		if err := unix.SetNonblock(fd, true); err != nil {
			unix.Close(p[0])
			unix.Close(p[1])
			return nil, fmt.Errorf("wakeup pipe nonblocking: %w", err)
		}
	}
	return &wakeupFD{rfd: p[0], wfd: p[1]}, nil
}

// signal makes the read end readable. Callers serialise it with close.
func (w *wakeupFD) signal() {
	for {
		_, err := unix.Write(w.wfd, w.one[:])
		if !errors.Is(err, unix.EINTR) {
			return // EAGAIN means the pipe is full, hence readable
		}
	}
}

// drain empties the pipe.
func (w *wakeupFD) drain() {
	for {
		n, err := unix.Read(w.rfd, w.sink[:])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil || n < len(w.sink) {
			return
		}
	}
}

func (w *wakeupFD) close() error {
	err1 := unix.Close(w.rfd)
	err2 := unix.Close(w.wfd)
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("close wakeup pipe: %w", err)
	}
	return nil
}
