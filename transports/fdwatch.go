package transports

import (
	"errors"

	"github.com/starnet-dev/starnet/loop"
	"golang.org/x/sys/unix"
)

// fdWatch registers a pipe transport's readiness callbacks for its
// descriptor. Most descriptors go to the loop's poller. Some cannot: epoll
// refuses regular files and some character devices (/dev/null) with EPERM,
// and kqueue reports a regular file at its end as never readable. The kernel
// treats such descriptors as always ready, so fdWatch does too: while a
// callback is registered it is called once per loop iteration, through
// CallSoon, which lets other work run between two reads or writes.
type fdWatch struct {
	l      *loop.Loop
	fd     int
	always bool // the descriptor is treated as always ready
	reader func()
	writer func()
	tick   *loop.Handle // the pending always-ready dispatch, if any
	onTick func()
}

// newFDWatch watches fd. alwaysReady says from the start that the poller
// cannot watch it (a regular file).
func newFDWatch(l *loop.Loop, fd int, alwaysReady bool) *fdWatch {
	w := &fdWatch{l: l, fd: fd, always: alwaysReady}
	w.onTick = w.dispatch
	return w
}

// addReader calls cb whenever fd is readable.
func (w *fdWatch) addReader(cb func()) error {
	if !w.always {
		err := w.l.AddReader(w.fd, cb)
		if !refusedByPoller(err) {
			return err
		}
		w.switchToAlwaysReady()
	}
	w.reader = cb
	w.schedule()
	return nil
}

// addWriter calls cb whenever fd is writable.
func (w *fdWatch) addWriter(cb func()) error {
	if !w.always {
		err := w.l.AddWriter(w.fd, cb)
		if !refusedByPoller(err) {
			return err
		}
		w.switchToAlwaysReady()
	}
	w.writer = cb
	w.schedule()
	return nil
}

// removeReader stops calling the reader.
func (w *fdWatch) removeReader() {
	if w.always {
		w.reader = nil
		w.unscheduleIfIdle()
		return
	}
	w.l.RemoveReader(w.fd)
}

// removeWriter stops calling the writer.
func (w *fdWatch) removeWriter() {
	if w.always {
		w.writer = nil
		w.unscheduleIfIdle()
		return
	}
	w.l.RemoveWriter(w.fd)
}

// stop removes both callbacks.
func (w *fdWatch) stop() {
	w.removeReader()
	w.removeWriter()
}

// switchToAlwaysReady moves a registration the poller refused, and any other
// one it holds for fd, to the always-ready emulation.
func (w *fdWatch) switchToAlwaysReady() {
	w.always = true
	w.l.RemoveReader(w.fd)
	w.l.RemoveWriter(w.fd)
}

func (w *fdWatch) schedule() {
	if w.tick == nil {
		w.tick = w.l.CallSoon(w.onTick)
	}
}

func (w *fdWatch) unscheduleIfIdle() {
	if w.reader == nil && w.writer == nil && w.tick != nil {
		w.tick.Cancel()
		w.tick = nil
	}
}

// dispatch calls the registered callbacks, as a level-triggered poller would
// for a descriptor that is always ready, then schedules the next round.
func (w *fdWatch) dispatch() {
	w.tick = nil
	if w.reader != nil {
		w.reader()
	}
	if w.writer != nil {
		w.writer()
	}
	if w.reader != nil || w.writer != nil {
		w.schedule()
	}
}

// refusedByPoller reports whether err says the poller cannot watch the
// descriptor at all (epoll's EPERM for regular files and some devices).
func refusedByPoller(err error) bool {
	return err != nil && errors.Is(err, unix.EPERM)
}
