package loop

import (
	"os"
	"os/signal"
	"syscall"
)

// signalWatch is one signal the loop handles: os/signal delivers it to ch,
// and a goroutine forwards it to the loop with CallSoonThreadsafe.
type signalWatch struct {
	fn   func()
	ch   chan os.Signal
	done chan struct{}
}

// AddSignalHandler calls fn on the loop each time sig arrives, replacing any
// handler already set for sig. Signal handlers do not keep the loop alive.
func (l *Loop) AddSignalHandler(sig syscall.Signal, fn func()) error {
	switch {
	case l.closed.Load():
		return ErrClosed
	case sig <= 0 || sig >= 65:
		return Errorf("ValueError", "signal number %d out of range", int(sig))
	case sig == syscall.SIGKILL || sig == syscall.SIGSTOP:
		return Errorf("RuntimeError", "signal %d (%v) cannot be caught", int(sig), sig)
	case fn == nil:
		return Errorf("TypeError", "handler for signal %d must not be nil", int(sig))
	}
	if w, ok := l.signals[sig]; ok {
		w.fn = fn // the forwarding goroutine looks the handler up on the loop
		return nil
	}
	if l.signals == nil {
		l.signals = make(map[syscall.Signal]*signalWatch)
	}
	w := &signalWatch{fn: fn, ch: make(chan os.Signal, 1), done: make(chan struct{})}
	l.signals[sig] = w
	signal.Notify(w.ch, sig)
	go l.forwardSignals(sig, w.ch, w.done)
	return nil
}

// OnSignalArrival sets fn to be called each time a signal that has a
// handler arrives, on the goroutine that receives it and before the handler
// is scheduled on the loop: fn sees the signal even while a callback runs
// and the loop cannot take it yet (a host uses it to cancel a runaway
// callback on a second SIGINT). fn must be safe to call from any goroutine
// and return quickly; nil removes it. Safe to call from any goroutine.
func (l *Loop) OnSignalArrival(fn func(syscall.Signal)) {
	if fn == nil {
		l.onArrival.Store(nil)
		return
	}
	l.onArrival.Store(&fn)
}

// forwardSignals runs on its own goroutine until done is closed.
func (l *Loop) forwardSignals(sig syscall.Signal, ch <-chan os.Signal, done <-chan struct{}) {
	deliver := func() { l.deliverSignal(sig) }
	for {
		select {
		case <-ch:
			if fn := l.onArrival.Load(); fn != nil {
				(*fn)(sig)
			}
			if l.CallSoonThreadsafe(deliver) != nil {
				return
			}
		case <-done:
			return
		}
	}
}

// deliverSignal runs on the loop and calls the current handler for sig, if
// it is still set.
func (l *Loop) deliverSignal(sig syscall.Signal) {
	if w, ok := l.signals[sig]; ok {
		w.fn()
	}
}

// RemoveSignalHandler removes the handler for sig, restoring the default
// disposition; it reports whether one was set.
//
// The loop stops its own subscription with signal.Stop, so handlers that
// other loops of the process set for sig keep working; once no subscriber
// is left, Go restores the default behaviour for sig.
func (l *Loop) RemoveSignalHandler(sig syscall.Signal) bool {
	w, ok := l.signals[sig]
	if !ok {
		return false
	}
	delete(l.signals, sig)
	w.stop()
	return true
}

func (w *signalWatch) stop() {
	signal.Stop(w.ch)
	close(w.done)
}

// stopSignals removes every signal handler (Close).
func (l *Loop) stopSignals() {
	for sig, w := range l.signals {
		delete(l.signals, sig)
		w.stop()
	}
}
