//go:build linux

package loop

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// wakeupFD wakes a loop blocked in its poller from another goroutine: an
// eventfd, readable while its counter is non-zero.
type wakeupFD struct {
	rfd, wfd int
	one      [8]byte // the counter increment written by signal
	sink     [8]byte // where drain reads the counter
}

func newWakeup() (*wakeupFD, error) {
	fd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	w := &wakeupFD{rfd: fd, wfd: fd}
	w.one[0] = 1 // any non-zero increment works, whatever the byte order
	return w, nil
}

// signal makes the descriptor readable. Callers serialise it with close.
func (w *wakeupFD) signal() {
	for {
		_, err := unix.Write(w.wfd, w.one[:])
		if !errors.Is(err, unix.EINTR) {
			return // EAGAIN means the counter is already non-zero
		}
	}
}

// drain makes the descriptor unreadable again.
func (w *wakeupFD) drain() {
	for {
		_, err := unix.Read(w.rfd, w.sink[:])
		if !errors.Is(err, unix.EINTR) {
			return
		}
	}
}

func (w *wakeupFD) close() error {
	if err := unix.Close(w.rfd); err != nil {
		return fmt.Errorf("close eventfd: %w", err)
	}
	return nil
}
