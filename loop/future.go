package loop

import "errors"

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
	result    any
	err       error
	callbacks []func(*Future) // nil entries were removed
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
var errNilException = errors.New("TypeError: SetException: the error must not be nil")

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
	f.scheduleCallbacks()
	return nil
}

// Cancel cancels a pending future and schedules its callbacks; it reports
// false if the future was already done.
func (f *Future) Cancel() bool {
	if f.state != futurePending {
		return false
	}
	f.state = futureCancelled
	f.scheduleCallbacks()
	return true
}

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
// if it has not been scheduled yet.
func (f *Future) removeDoneCallback(token int) {
	if token >= 0 && token < len(f.callbacks) {
		f.callbacks[token] = nil
	}
}

func (f *Future) scheduleCallbacks() {
	cbs := f.callbacks
	f.callbacks = nil
	for _, fn := range cbs {
		if fn != nil {
			f.loop.callSoonFuture(fn, f)
		}
	}
}
