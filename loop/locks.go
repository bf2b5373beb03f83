package loop

import "fmt"

// The synchronisation primitives of asyncio's locks.py (CPython 3.14):
// Lock, Event, Semaphore and BoundedSemaphore. What is a coroutine there
// (acquire, wait) returns a Future here. Each waiting call keeps two
// futures, as the coroutine and its task do in asyncio: an inner waiter
// that the primitive wakes, and the Future the caller holds. The code that
// asyncio runs after `await waiter` runs as the waiter's done callback, so
// it runs on a later iteration of the loop, as the coroutine would; and
// cancelling the caller's Future cancels the waiter, as cancelling a task
// cancels the future it waits for. A caller whose Future is cancelled after
// it was woken passes its turn on, so no wake-up and no lock is lost.

// ErrLockNotAcquired is Lock.Release's error for a lock that is not locked.
var ErrLockNotAcquired error = &Error{Kind: "RuntimeError", Message: "Lock is not acquired."}

// ErrSemaphoreValue is NewSemaphore's error for a negative value.
var ErrSemaphoreValue error = &Error{Kind: "ValueError", Message: "Semaphore initial value must be >= 0"}

// ErrBoundedSemaphoreReleased is BoundedSemaphore.Release's error when the
// value would pass its initial value.
var ErrBoundedSemaphoreReleased error = &Error{Kind: "ValueError", Message: "BoundedSemaphore released too many times"}

// deque is a FIFO with O(1) push at the back and pop at the front, and
// removal anywhere (asyncio's collections.deque).
type deque[T comparable] struct {
	s    []T
	head int
}

func (d *deque[T]) len() int { return len(d.s) - d.head }

func (d *deque[T]) push(v T) { d.s = append(d.s, v) }

// items returns the elements, front first; the slice aliases the deque.
func (d *deque[T]) items() []T { return d.s[d.head:] }

// popFront removes and returns the first element (the zero T if empty).
func (d *deque[T]) popFront() T {
	var zero T
	if d.len() == 0 {
		return zero
	}
	v := d.s[d.head]
	d.s[d.head] = zero // let it be collected
	d.head++
	d.compact()
	return v
}

// remove removes the first element equal to v and returns its position
// (0 for the front), or -1 if there was none. The search starts at the
// front, where waiters usually leave.
func (d *deque[T]) remove(v T) int {
	for i := d.head; i < len(d.s); i++ {
		if d.s[i] != v {
			continue
		}
		if i == d.head {
			d.popFront()
			return 0
		}
		var zero T
		copy(d.s[i:], d.s[i+1:])
		d.s[len(d.s)-1] = zero
		d.s = d.s[:len(d.s)-1]
		return i - d.head
	}
	return -1
}

// compact gives the space before head back once it is most of the slice.
func (d *deque[T]) compact() {
	switch {
	case d.head == len(d.s):
		d.s, d.head = d.s[:0], 0
	case d.head >= 32 && 2*d.head >= len(d.s):
		n := copy(d.s, d.s[d.head:])
		clear(d.s[n:])
		d.s, d.head = d.s[:n], 0
	}
}

// clear empties the deque.
func (d *deque[T]) clear() {
	clear(d.s)
	d.s, d.head = d.s[:0], 0
}

// awaitWaiter runs resume once the waiter w is done, as the code after
// `await w` in an asyncio coroutine, and makes cancelling out (the caller's
// Future) cancel w. resume's cancelled is true when w was cancelled or out
// was cancelled before resume ran (the caller gave up, maybe after being
// woken): the primitive must then pass the wake-up on.
func awaitWaiter(w, out *Future, resume func(cancelled bool)) {
	w.AddDoneCallback(func(w *Future) {
		resume(w.Cancelled() || out.Done())
	})
	out.AddDoneCallback(func(out *Future) {
		if out.Cancelled() {
			w.Cancel()
		}
	})
}

// doneFuture returns a Future of l already completed with v.
func (l *Loop) doneFuture(v any) *Future {
	f := l.NewFuture()
	_ = f.SetResult(v)
	return f
}

// describe formats asyncio's repr state: "<Kind [state, waiters:N]>".
func describe(kind, state string, waiters int) string {
	if waiters > 0 {
		state = fmt.Sprintf("%s, waiters:%d", state, waiters)
	}
	return "<" + kind + " [" + state + "]>"
}

// Lock is asyncio.Lock: a mutual-exclusion lock not owned by any task.
// Waiters get the lock in the order they asked for it (FIFO); a waiter
// whose Future is cancelled, even after it was woken, does not take it.
type Lock struct {
	loop    *Loop
	locked  bool
	waiters deque[*Future]
}

// NewLock returns an unlocked Lock bound to l.
func (l *Loop) NewLock() *Lock { return &Lock{loop: l} }

// Locked reports whether the lock is held.
func (k *Lock) Locked() bool { return k.locked }

// Waiters returns how many Acquire calls are waiting.
func (k *Lock) Waiters() int { return k.waiters.len() }

// String reads as asyncio's repr: <Lock [locked, waiters:1]>.
func (k *Lock) String() string {
	state := "unlocked"
	if k.locked {
		state = "locked"
	}
	return describe("Lock", state, k.waiters.len())
}

// Acquire returns a Future that completes with true once the caller holds
// the lock: at once if it is free and nobody waits, else when its turn
// comes. Cancelling the Future gives the turn up.
func (k *Lock) Acquire() *Future {
	if !k.locked && allCancelled(k.waiters.items()) {
		k.locked = true
		return k.loop.doneFuture(true)
	}
	out := k.loop.NewFuture()
	w := k.loop.NewFuture()
	k.waiters.push(w)
	awaitWaiter(w, out, func(cancelled bool) {
		k.waiters.remove(w)
		if cancelled {
			// The lock's invariant: if it is free and someone waits,
			// the first waiter is woken.
			if !k.locked {
				k.wakeUpFirst()
			}
			return
		}
		k.locked = true
		_ = out.SetResult(true)
	})
	return out
}

// Release frees the lock and wakes the first waiter. It fails with
// ErrLockNotAcquired (a RuntimeError) if the lock is not held.
func (k *Lock) Release() error {
	if !k.locked {
		return ErrLockNotAcquired
	}
	k.locked = false
	k.wakeUpFirst()
	return nil
}

// wakeUpFirst wakes the first waiter unless it is already woken.
func (k *Lock) wakeUpFirst() {
	if k.waiters.len() == 0 {
		return
	}
	if w := k.waiters.items()[0]; !w.Done() {
		_ = w.SetResult(true)
	}
}

// allCancelled reports whether every waiter was cancelled (true for none).
func allCancelled(ws []*Future) bool {
	for _, w := range ws {
		if !w.Cancelled() {
			return false
		}
	}
	return true
}

// Event is asyncio.Event: a flag that waiters wait to see set.
type Event struct {
	loop    *Loop
	value   bool
	waiters deque[*Future]
}

// NewEvent returns an Event bound to l, not set.
func (l *Loop) NewEvent() *Event { return &Event{loop: l} }

// IsSet reports whether the flag is set.
func (ev *Event) IsSet() bool { return ev.value }

// Waiters returns how many Wait calls are waiting.
func (ev *Event) Waiters() int { return ev.waiters.len() }

// String reads as asyncio's repr: <Event [unset, waiters:2]>.
func (ev *Event) String() string {
	state := "unset"
	if ev.value {
		state = "set"
	}
	return describe("Event", state, ev.waiters.len())
}

// Set sets the flag and wakes every waiter.
func (ev *Event) Set() {
	if ev.value {
		return
	}
	ev.value = true
	for _, w := range ev.waiters.items() {
		if !w.Done() {
			_ = w.SetResult(true)
		}
	}
}

// Clear resets the flag; later Wait calls wait for the next Set.
func (ev *Event) Clear() { ev.value = false }

// Wait returns a Future that completes with true once the flag is set (at
// once if it is set now).
func (ev *Event) Wait() *Future { return ev.wait(true) }

// wait is Wait with the result the Future completes with.
func (ev *Event) wait(result any) *Future {
	if ev.value {
		return ev.loop.doneFuture(result)
	}
	out := ev.loop.NewFuture()
	w := ev.loop.NewFuture()
	ev.waiters.push(w)
	awaitWaiter(w, out, func(cancelled bool) {
		ev.waiters.remove(w)
		if !cancelled {
			_ = out.SetResult(result)
		}
	})
	return out
}

// Semaphore is asyncio.Semaphore: a counter that Acquire decrements,
// waiting while it is zero, and Release increments. Waiters are served in
// FIFO order: an Acquire never overtakes one that waits.
type Semaphore struct {
	loop    *Loop
	value   int
	bound   int // the initial value for a BoundedSemaphore, else -1
	waiters deque[*Future]
	// woken is how many waiters at the front are known to be done (woken
	// or cancelled), where wakeUpNext starts looking: many releases before
	// the woken waiters run stay linear.
	woken int
}

// NewSemaphore returns a Semaphore bound to l with the given initial value;
// ErrSemaphoreValue (a ValueError) if it is negative.
func (l *Loop) NewSemaphore(value int) (*Semaphore, error) {
	if value < 0 {
		return nil, ErrSemaphoreValue
	}
	return &Semaphore{loop: l, value: value, bound: -1}, nil
}

// NewBoundedSemaphore returns a Semaphore whose Release fails with
// ErrBoundedSemaphoreReleased when the value would pass value (asyncio's
// BoundedSemaphore).
func (l *Loop) NewBoundedSemaphore(value int) (*Semaphore, error) {
	s, err := l.NewSemaphore(value)
	if err != nil {
		return nil, err
	}
	s.bound = value
	return s, nil
}

// Bounded reports whether s is a BoundedSemaphore.
func (s *Semaphore) Bounded() bool { return s.bound >= 0 }

// Value returns the counter.
func (s *Semaphore) Value() int { return s.value }

// Waiters returns how many Acquire calls are waiting.
func (s *Semaphore) Waiters() int { return s.waiters.len() }

// String reads as asyncio's repr: <Semaphore [unlocked, value:2]>, or
// <BoundedSemaphore [locked, waiters:1]>.
func (s *Semaphore) String() string {
	kind := "Semaphore"
	if s.Bounded() {
		kind = "BoundedSemaphore"
	}
	state := "locked"
	if !s.Locked() {
		state = fmt.Sprintf("unlocked, value:%d", s.value)
	}
	return describe(kind, state, s.waiters.len())
}

// Locked reports whether Acquire would wait: the counter is zero, or
// someone already waits (FIFO).
func (s *Semaphore) Locked() bool {
	return s.value == 0 || !allCancelled(s.waiters.items())
}

// Acquire returns a Future that completes with true once the counter was
// decremented for the caller. Cancelling the Future gives the turn up (and
// gives back a count already handed to it).
func (s *Semaphore) Acquire() *Future {
	if !s.Locked() {
		s.value--
		return s.loop.doneFuture(true)
	}
	out := s.loop.NewFuture()
	w := s.loop.NewFuture()
	s.waiters.push(w)
	awaitWaiter(w, out, func(cancelled bool) {
		if i := s.waiters.remove(w); i >= 0 && i < s.woken {
			s.woken--
		}
		switch {
		case cancelled && w.Done() && !w.Cancelled():
			// Woken (wakeUpNext counted it) but not taking it: undo.
			s.value++
		case !cancelled:
			_ = out.SetResult(true)
		}
		// Waiters that arrived meanwhile had to queue (FIFO): wake as
		// many as the counter allows.
		for s.value > 0 && s.wakeUpNext() {
		}
	})
	return out
}

// Release increments the counter and wakes the first waiter. A
// BoundedSemaphore fails with ErrBoundedSemaphoreReleased instead of going
// past its initial value.
func (s *Semaphore) Release() error {
	if s.Bounded() && s.value >= s.bound {
		return ErrBoundedSemaphoreReleased
	}
	s.value++
	s.wakeUpNext()
	return nil
}

// wakeUpNext wakes the first waiter not woken yet, counting it against the
// counter, and reports whether there was one.
func (s *Semaphore) wakeUpNext() bool {
	ws := s.waiters.items()
	for i := s.woken; i < len(ws); i++ {
		if w := ws[i]; !w.Done() {
			s.value--
			_ = w.SetResult(true)
			s.woken = i + 1
			return true
		}
	}
	s.woken = len(ws)
	return false
}
