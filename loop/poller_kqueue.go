//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package loop

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// kqueuePoller is the BSD and macOS poller: kqueue with one read and one
// write filter per descriptor (level-triggered, as kqueue is by default).
type kqueuePoller struct {
	kq     int
	raw    []unix.Kevent_t
	change [1]unix.Kevent_t
	ts     unix.Timespec
}

var _ poller = (*kqueuePoller)(nil)

func newPoller() (poller, error) {
	kq, err := unix.Kqueue()
	if err != nil {
		return nil, fmt.Errorf("kqueue: %w", err)
	}
	unix.CloseOnExec(kq)
	return &kqueuePoller{kq: kq, raw: make([]unix.Kevent_t, maxPollEvents)}, nil
}

func (p *kqueuePoller) update(fd int, old, new interest) error {
	if err := p.updateFilter(fd, unix.EVFILT_READ, old&interestRead != 0, new&interestRead != 0); err != nil {
		return err
	}
	return p.updateFilter(fd, unix.EVFILT_WRITE, old&interestWrite != 0, new&interestWrite != 0)
}

func (p *kqueuePoller) updateFilter(fd, filter int, was, want bool) error {
	if was == want {
		return nil
	}
	if want {
		unix.SetKevent(&p.change[0], fd, filter, unix.EV_ADD)
		if _, err := unix.Kevent(p.kq, p.change[:], nil, nil); err != nil {
			return fmt.Errorf("kevent add fd %d: %w", fd, err)
		}
		return nil
	}
	unix.SetKevent(&p.change[0], fd, filter, unix.EV_DELETE)
	_, err := unix.Kevent(p.kq, p.change[:], nil, nil)
	if err != nil && !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.EBADF) {
		return fmt.Errorf("kevent delete fd %d: %w", fd, err)
	}
	return nil
}

func (p *kqueuePoller) wait(events []pollEvent, timeoutMs int) (int, error) {
	var ts *unix.Timespec
	if timeoutMs >= 0 {
		p.ts = unix.NsecToTimespec(int64(timeoutMs) * 1e6)
		ts = &p.ts
	}
	max := min(len(events), len(p.raw))
	n, err := unix.Kevent(p.kq, nil, p.raw[:max], ts)
	if err != nil {
		if errors.Is(err, unix.EINTR) {
			return 0, nil
		}
		return 0, fmt.Errorf("kevent wait: %w", err)
	}
	for i := 0; i < n; i++ {
		k := &p.raw[i]
		var in interest
		switch k.Filter {
		case unix.EVFILT_READ:
			in = interestRead
		case unix.EVFILT_WRITE:
			in = interestWrite
		}
		events[i] = pollEvent{fd: int32(k.Ident), ev: in}
	}
	return n, nil
}

func (p *kqueuePoller) close() error {
	if err := unix.Close(p.kq); err != nil {
		return fmt.Errorf("close kqueue fd: %w", err)
	}
	return nil
}
