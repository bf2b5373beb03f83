//go:build linux

package loop

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// epollPoller is the Linux poller, level-triggered epoll.
type epollPoller struct {
	epfd int
	raw  []unix.EpollEvent
	ev   unix.EpollEvent // scratch for epoll_ctl, kept here so it does not escape per call
}

var _ poller = (*epollPoller)(nil)

func newPoller() (poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	return &epollPoller{epfd: epfd, raw: make([]unix.EpollEvent, maxPollEvents)}, nil
}

func epollMask(in interest) uint32 {
	var m uint32
	if in&interestRead != 0 {
		m |= unix.EPOLLIN
	}
	if in&interestWrite != 0 {
		m |= unix.EPOLLOUT
	}
	return m
}

func (p *epollPoller) update(fd int, old, new interest) error {
	if new == 0 {
		if old == 0 {
			return nil
		}
		err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, fd, nil)
		if err != nil && !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.EBADF) {
			return fmt.Errorf("epoll_ctl del fd %d: %w", fd, err)
		}
		return nil
	}
	p.ev = unix.EpollEvent{Events: epollMask(new), Fd: int32(fd)}
	op, retry := unix.EPOLL_CTL_ADD, unix.EPOLL_CTL_MOD
	if old != 0 {
		op, retry = unix.EPOLL_CTL_MOD, unix.EPOLL_CTL_ADD
	}
	err := unix.EpollCtl(p.epfd, op, fd, &p.ev)
	// The kernel's view can differ from ours when a descriptor was closed
	// (dropping it from the epoll set) and its number reused.
	if errors.Is(err, unix.EEXIST) || errors.Is(err, unix.ENOENT) {
		err = unix.EpollCtl(p.epfd, retry, fd, &p.ev)
	}
	if err != nil {
		return fmt.Errorf("epoll_ctl fd %d: %w", fd, err)
	}
	return nil
}

func (p *epollPoller) wait(events []pollEvent, timeoutMs int) (int, error) {
	max := min(len(events), len(p.raw))
	n, err := unix.EpollWait(p.epfd, p.raw[:max], timeoutMs)
	if err != nil {
		if errors.Is(err, unix.EINTR) {
			return 0, nil
		}
		return 0, fmt.Errorf("epoll_wait: %w", err)
	}
	for i := 0; i < n; i++ {
		e := p.raw[i].Events
		var in interest
		// As Python's selectors.EpollSelector: anything but EPOLLIN (error,
		// hang-up) wakes the writer, anything but EPOLLOUT wakes the reader.
		if e&^unix.EPOLLIN != 0 {
			in |= interestWrite
		}
		if e&^unix.EPOLLOUT != 0 {
			in |= interestRead
		}
		events[i] = pollEvent{fd: p.raw[i].Fd, ev: in}
	}
	return n, nil
}

func (p *epollPoller) close() error {
	if err := unix.Close(p.epfd); err != nil {
		return fmt.Errorf("close epoll fd: %w", err)
	}
	return nil
}
