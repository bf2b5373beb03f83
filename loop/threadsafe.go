package loop

// CallSoonThreadsafe schedules fn from any goroutine and wakes the loop.
// It is the only way other goroutines reach the loop. A pending threadsafe
// call keeps the loop from being idle. It returns ErrClosed after Close.
func (l *Loop) CallSoonThreadsafe(fn func()) error {
	h := &Handle{fn: fn, loop: l}
	l.tsMu.Lock()
	if l.tsClosed {
		l.tsMu.Unlock()
		return ErrClosed
	}
	l.tsQueue = append(l.tsQueue, h)
	l.tsLen.Add(1)
	l.wakeLocked()
	l.tsMu.Unlock()
	return nil
}

// wakeup makes a loop blocked in its poller return; safe from any goroutine.
func (l *Loop) wakeup() {
	l.tsMu.Lock()
	if !l.tsClosed {
		l.wakeLocked()
	}
	l.tsMu.Unlock()
}

// wakeLocked writes the wakeup descriptor unless a write is already pending
// (wakeups coalesce). tsMu must be held, so the descriptor cannot be closed
// under it.
func (l *Loop) wakeLocked() {
	if l.wakePending.CompareAndSwap(false, true) {
		l.wake.signal()
	}
}

// wokenUp consumes a wakeup; called on the loop when the wakeup fd is ready.
// Clearing the flag after draining guarantees that a call queued later
// writes a new wakeup.
func (l *Loop) wokenUp() {
	l.wake.drain()
	l.wakePending.Store(false)
}

// drainThreadsafe moves the calls queued by other goroutines to the ready
// queue, in arrival order.
func (l *Loop) drainThreadsafe() {
	if l.tsLen.Load() == 0 {
		return
	}
	l.tsMu.Lock()
	batch := l.tsQueue
	l.tsQueue = l.tsSpare[:0]
	l.tsLen.Store(0)
	l.tsMu.Unlock()
	for i, h := range batch {
		l.ready.push(h)
		batch[i] = nil
	}
	l.tsSpare = batch[:0]
}
