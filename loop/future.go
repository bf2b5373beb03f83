package loop

import (
	"fmt"
	"slices"
)

type futureState uint8

const (
	futurePending futureState = iota
	futureFinished
	futureCancelled
)

// Future is asyncio's Future: a result or an error that arrives later. Done
// callbacks are scheduled with CallSoon when it completes, in the order they
// were added; a callback added after completion is scheduled at once.
type Future struct {
	loop      *Loop
	state     futureState
	retrieved bool // Result or Exception was called once it was done
	logged    bool // LogUnretrieved was called
	result    any
	err       error
	callbacks []func(*Future) // nil entries were removed
	// cancelHook, when set, is what Cancel does for a pending future
	// (Gather's future cancels its children instead of itself).
	cancelHook func() bool
	source     *Source // debug mode's record of where it was made (source.go)
}

// NewFuture creates a pending Future bound to l.
func (l *Loop) NewFuture() *Future { return &Future{loop: l} }

// Loop returns the loop the future belongs to.
func (f *Future) Loop() *Loop { return f.loop }

// Done reports whether the future has a result, an error, or was cancelled.
func (f *Future) Done() bool { return f.state != futurePending }

// Cancelled reports whether the future was cancelled.
func (f *Future) Cancelled() bool { return f.state == futureCancelled }

// Result returns the value, or the error the future failed with
// (ErrCancelled if cancelled, ErrInvalidState if not done yet).
func (f *Future) Result() (any, error) {
	switch f.state {
	case futurePending:
		return nil, ErrInvalidState
	case futureCancelled:
		return nil, ErrCancelled
	}
	f.retrieved = true
	if f.err != nil {
		return nil, f.err
	}
	return f.result, nil
}

// Exception returns the error the future failed with: nil after SetResult,
// ErrCancelled if cancelled, ErrInvalidState if not done yet.
func (f *Future) Exception() error {
	switch f.state {
	case futurePending:
		return ErrInvalidState
	case futureCancelled:
		return ErrCancelled
	}
	f.retrieved = true
	return f.err
}

// SetResult completes the future with v; ErrInvalidState if already done.
func (f *Future) SetResult(v any) error {
	if f.state != futurePending {
		return ErrInvalidState
	}
	f.result = v
	f.state = futureFinished
	f.scheduleCallbacks()
	return nil
}

// errNilException is SetException's error for a nil error.
var errNilException error = &Error{Kind: "TypeError", Message: "SetException: the error must not be nil"}

// SetException fails the future with err; ErrInvalidState if already done.
func (f *Future) SetException(err error) error {
	if f.state != futurePending {
		return ErrInvalidState
	}
	if err == nil {
		return errNilException
	}
	f.err = err
	f.state = futureFinished
	if f.logged {
		f.loop.keepUnretrieved(f)
	}
	f.scheduleCallbacks()
	return nil
}

// Cancel cancels a pending future and schedules its callbacks; it reports
// false if the future was already done. (A future from Gather cancels its
// children instead; see there.)
func (f *Future) Cancel() bool {
	if f.state != futurePending {
		return false
	}
	if f.cancelHook != nil {
		return f.cancelHook()
	}
	f.state = futureCancelled
	f.scheduleCallbacks()
	return true
}

// SetCancelHook makes Cancel, on the pending future, call hook and return
// what it returns instead of cancelling the future itself; nil removes the
// hook. It is how a future that stands for work cancels that work (a
// script's Task cancels the wait it is in, as asyncio's Task.cancel; the
// futures of Gather and WaitFor cancel their children): whoever cancels
// it — WaitFor, Gather, a host — reaches the work.
func (f *Future) SetCancelHook(hook func() bool) { f.cancelHook = hook }

// AddDoneCallback arranges for fn(f) to run (through CallSoon) once f is done.
func (f *Future) AddDoneCallback(fn func(*Future)) {
	if fn == nil {
		return
	}
	f.addDoneCallback(fn)
}

// addDoneCallback adds fn and returns a token for removeDoneCallback.
func (f *Future) addDoneCallback(fn func(*Future)) int {
	if f.state != futurePending {
		f.loop.callSoonFuture(fn, f)
		return -1
	}
	f.callbacks = append(f.callbacks, fn)
	return len(f.callbacks) - 1
}

// removeDoneCallback removes the callback addDoneCallback returned token for,
// if it has not been scheduled yet. Removed callbacks at the end are
// trimmed, so that adding and removing one repeatedly (a Wait with a
// timeout in a loop) does not grow the list.
func (f *Future) removeDoneCallback(token int) {
	if token >= 0 && token < len(f.callbacks) {
		f.callbacks[token] = nil
		if len(f.loop.doneSources) > 0 {
			f.loop.forgetDoneSource(f, token)
		}
		n := len(f.callbacks)
		for n > 0 && f.callbacks[n-1] == nil {
			n--
		}
		f.callbacks = f.callbacks[:n]
	}
}

func (f *Future) scheduleCallbacks() {
	cbs := f.callbacks
	f.callbacks = nil
	srcs := f.loop.takeDoneSources(f)
	for i, fn := range cbs {
		if fn == nil {
			continue
		}
		h := f.loop.callSoonFuture(fn, f)
		if srcs != nil && srcs[i] != nil {
			h.SetSource(srcs[i])
		}
	}
}

// Outcome returns what Result returns, without counting as retrieving the
// error (for reprs and reports).
func (f *Future) Outcome() (any, error) {
	retrieved := f.retrieved
	v, err := f.Result()
	f.retrieved = retrieved
	return v, err
}

// String describes the future as asyncio's repr does: <Future pending>,
// <Future cancelled>, <Future finished result=...> or <Future finished
// exception=...>, followed by " created at file:line" when a Source says
// where it was made; or what the Source's Repr says.
func (f *Future) String() string {
	if f.source != nil && f.source.Repr != nil {
		return f.source.Repr.String()
	}
	switch f.state {
	case futurePending:
		return "<Future pending" + f.source.CreatedAt() + ">"
	case futureCancelled:
		return "<Future cancelled" + f.source.CreatedAt() + ">"
	}
	if f.err != nil {
		return fmt.Sprintf("<Future finished exception=%v%s>", f.err, f.source.CreatedAt())
	}
	return fmt.Sprintf("<Future finished result=%s%s>", Describe(f.result, "value"), f.source.CreatedAt())
}

// LogUnretrieved asks for asyncio's "Future exception was never retrieved":
// if the future fails and nobody calls Result or Exception, the loop's
// ReportUnretrieved reports its error. (asyncio reports when the future is
// garbage collected; the loop reports when its owner asks, at the end of a
// run.) Cancellation is not a failure. Calling it again does nothing.
func (f *Future) LogUnretrieved() {
	if f.logged {
		return
	}
	f.logged = true
	if f.state == futureFinished && f.err != nil {
		f.loop.keepUnretrieved(f)
	}
}

// keepUnretrieved remembers a failed future marked with LogUnretrieved
// until ReportUnretrieved. Futures retrieved meanwhile are dropped whenever
// the list doubles, so that it grows only with the unretrieved ones; past
// maxKeptUnretrieved of those, the older half is reported at once (on the
// next iteration), so that a script that keeps dropping failed futures does
// not keep them all until the end.
func (l *Loop) keepUnretrieved(f *Future) {
	if len(l.unretrieved) >= l.unretrievedPrune {
		l.unretrieved = slices.DeleteFunc(l.unretrieved, func(f *Future) bool { return f.retrieved })
		if len(l.unretrieved) >= maxKeptUnretrieved {
			half := len(l.unretrieved) / 2
			older := slices.Clone(l.unretrieved[:half])
			l.unretrieved = slices.Delete(l.unretrieved, 0, half)
			l.CallSoon(func() { l.reportUnretrieved(older) })
		}
		l.unretrievedPrune = max(64, 2*len(l.unretrieved))
	}
	l.unretrieved = append(l.unretrieved, f)
}

// maxKeptUnretrieved is how many unretrieved failed futures a loop keeps
// for ReportUnretrieved before it reports the older ones early.
const maxKeptUnretrieved = 1024

// ReportUnretrieved reports, through the exception handler, every future
// marked with LogUnretrieved that failed and whose error nobody retrieved
// ("Future exception was never retrieved", with the future under
// "future"), then forgets them all. It returns how many it reported.
func (l *Loop) ReportUnretrieved() int {
	pending := l.unretrieved
	l.unretrieved, l.unretrievedPrune = nil, 0
	return l.reportUnretrieved(pending)
}

// reportUnretrieved reports the futures of fs that are still unretrieved.
func (l *Loop) reportUnretrieved(fs []*Future) int {
	n := 0
	for _, f := range fs {
		if f.retrieved {
			continue
		}
		f.retrieved = true
		n++
		ctx := ErrorContext{
			Message: "Future exception was never retrieved",
			Err:     f.err,
			Extra:   map[string]any{"future": f},
		}
		f.source.addTraceback(&ctx)
		l.CallExceptionHandler(ctx)
	}
	return n
}
