package loop

import (
	"fmt"
	"reflect"
	"runtime"
)

// Handle is a scheduled callback; asyncio's Handle and TimerHandle.
type Handle struct {
	fn    func()
	futCb func(*Future) // a Future's done callback, called with fut
	fut   *Future
	loop  *Loop
	when  float64 // loop time a timer is due at; 0 for CallSoon handles
	// seq breaks ties between timers due at the same time: they run in
	// scheduling order. It wraps around; timers compare it by the
	// difference, which is right while fewer than 2³¹ timers are scheduled
	// between two pending ones. 32 bits keep a Handle in 48 bytes.
	seq uint32

	cancelled bool
	timer     bool
	inHeap    bool // asyncio's TimerHandle._scheduled
}

// Cancel stops the callback from running; cancelling twice is harmless.
func (h *Handle) Cancel() {
	if h.cancelled {
		return
	}
	h.cancelled = true
	h.forgetSource()
	// Drop the references, as asyncio does, so a cancelled handle pins nothing.
	h.fn, h.futCb, h.fut = nil, nil, nil
	if h.inHeap {
		h.loop.timerCancelled()
	}
}

// Cancelled reports whether Cancel was called.
func (h *Handle) Cancelled() bool { return h.cancelled }

// When returns the loop time a timer is due at (0 for a CallSoon handle).
func (h *Handle) When() float64 { return h.when }

// String describes the handle as asyncio's repr does, e.g.
// "<TimerHandle when=12.5 main.tick() at /src/main.go:42>", or with the
// Source set for it, "<Handle tick(1) at server.star:4 created at
// server.star:12>".
func (h *Handle) String() string { return h.describe(h.Source()) }

// describe is String with h's source given (h may be a copy).
func (h *Handle) describe(src *Source) string {
	kind := "Handle"
	if h.timer {
		kind = fmt.Sprintf("TimerHandle when=%g", h.when)
	}
	if h.cancelled {
		return "<" + kind + " cancelled>"
	}
	var what string
	switch {
	case src != nil && src.Callback != nil:
		what = src.Callback.String()
	case h.fn != nil:
		what = describeFunc(h.fn)
	default:
		what = describeFunc(h.futCb)
	}
	return "<" + kind + " " + what + src.CreatedAt() + ">"
}

// describeFunc names a Go function with its source position.
func describeFunc(fn any) string {
	v := reflect.ValueOf(fn)
	if !v.IsValid() || v.Kind() != reflect.Func || v.IsNil() {
		return "<nil>"
	}
	f := runtime.FuncForPC(v.Pointer())
	if f == nil {
		return "<unknown>()"
	}
	file, line := f.FileLine(v.Pointer())
	return fmt.Sprintf("%s() at %s:%d", f.Name(), file, line)
}

// run calls the handle's callback.
func (h *Handle) run() {
	if h.fn != nil {
		h.fn()
	} else if h.futCb != nil {
		h.futCb(h.fut)
	}
}

// handleQueue is the ready queue: a FIFO ring of handles that grows by
// doubling and is reused across iterations, so pushing does not allocate.
type handleQueue struct {
	buf  []*Handle // len(buf) is zero or a power of two
	head int
	n    int
}

func (q *handleQueue) len() int { return q.n }

func (q *handleQueue) push(h *Handle) {
	if q.n == len(q.buf) {
		q.grow()
	}
	q.buf[(q.head+q.n)&(len(q.buf)-1)] = h
	q.n++
}

func (q *handleQueue) pop() *Handle {
	h := q.buf[q.head]
	q.buf[q.head] = nil
	q.head = (q.head + 1) & (len(q.buf) - 1)
	q.n--
	return h
}

func (q *handleQueue) grow() {
	size := max(2*len(q.buf), 64)
	buf := make([]*Handle, size)
	for i := 0; i < q.n; i++ {
		buf[i] = q.buf[(q.head+i)&(len(q.buf)-1)]
	}
	q.buf, q.head = buf, 0
}

// clear drops every queued handle.
func (q *handleQueue) clear() {
	for q.n > 0 {
		q.pop()
	}
}

// timerHeap is a binary min-heap of timer handles ordered by (when, seq).
type timerHeap []*Handle

func (t timerHeap) less(i, j int) bool {
	a, b := t[i], t[j]
	return a.when < b.when || (a.when == b.when && int32(a.seq-b.seq) < 0)
}

func (t *timerHeap) push(h *Handle) {
	*t = append(*t, h)
	t.up(len(*t) - 1)
}

// pop removes and returns the earliest timer.
func (t *timerHeap) pop() *Handle {
	s := *t
	n := len(s) - 1
	s[0], s[n] = s[n], s[0]
	h := s[n]
	s[n] = nil
	*t = s[:n]
	t.down(0)
	return h
}

func (t timerHeap) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if !t.less(i, parent) {
			return
		}
		t[i], t[parent] = t[parent], t[i]
		i = parent
	}
}

func (t timerHeap) down(i int) {
	n := len(t)
	for {
		left := 2*i + 1
		if left >= n {
			return
		}
		least := left
		if right := left + 1; right < n && t.less(right, left) {
			least = right
		}
		if !t.less(least, i) {
			return
		}
		t[i], t[least] = t[least], t[i]
		i = least
	}
}

// removeCancelled drops every cancelled handle and restores the heap order.
func (t *timerHeap) removeCancelled() {
	s := *t
	kept := s[:0]
	for _, h := range s {
		if h.cancelled {
			h.inHeap = false
			continue
		}
		kept = append(kept, h)
	}
	clear(s[len(kept):])
	for i := len(kept)/2 - 1; i >= 0; i-- {
		kept.down(i)
	}
	*t = kept
}
