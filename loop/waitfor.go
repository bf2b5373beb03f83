package loop

import (
	"math"
	"time"
)

// NoTimeout is WaitFor's timeout for waiting as long as it takes.
const NoTimeout = time.Duration(math.MinInt64)

// ErrTimeout is the error of a WaitFor whose time ran out (asyncio's
// TimeoutError).
var ErrTimeout error = &Error{Kind: "TimeoutError"}

// WaitFor is asyncio.wait_for for a future: the returned future completes
// as f does, unless timeout (NoTimeout: none; zero or less: at the next
// iteration) passes first; then f is cancelled and the returned future
// fails with ErrTimeout, once f's own done callbacks have run.
//
// Cancelling the returned future cancels f, inside Cancel, and reports
// true; the returned future is cancelled once f's done callbacks have run
// (asyncio's wait_for is a task, which is cancelled when it next wakes).
func (l *Loop) WaitFor(f *Future, timeout time.Duration) *Future {
	out := l.NewFuture()
	w := &waiting{out: out, inner: f}
	if timeout != NoTimeout {
		w.timer = l.CallLater(timeout, w.timedOut)
	}
	out.cancelHook = w.cancel
	f.AddDoneCallback(w.innerDone)
	return out
}

// waiting is the state of one WaitFor.
type waiting struct {
	out, inner      *Future
	timer           *Handle
	timedOutFirst   bool // the timer cancelled inner
	cancelRequested bool // out.Cancel was called
}

// timedOut cancels the inner future; innerDone then fails out.
func (w *waiting) timedOut() {
	if w.inner.Done() {
		return // its done callback completes out
	}
	w.timedOutFirst = true
	w.inner.Cancel()
}

// cancel is the returned future's Cancel.
func (w *waiting) cancel() bool {
	w.cancelRequested = true
	if w.timer != nil {
		w.timer.Cancel()
	}
	w.inner.Cancel()
	return true
}

// innerDone completes out as the inner future completed.
func (w *waiting) innerDone(inner *Future) {
	if w.timer != nil {
		w.timer.Cancel()
	}
	out := w.out
	if out.Done() {
		return
	}
	switch {
	case w.cancelRequested:
		out.cancelHook = nil
		out.Cancel()
	case w.timedOutFirst && inner.Cancelled():
		_ = out.SetException(ErrTimeout)
	case inner.Cancelled():
		out.cancelHook = nil
		out.Cancel()
	default:
		v, err := inner.Result()
		if err != nil {
			_ = out.SetException(err)
			return
		}
		_ = out.SetResult(v)
	}
}
