package loop

import (
	"fmt"
	"time"
)

// ReturnWhen says when Wait's Future completes (asyncio's return_when).
type ReturnWhen uint8

// Wait's conditions, with asyncio's names.
const (
	// AllCompleted: when every future is done (asyncio.ALL_COMPLETED).
	AllCompleted ReturnWhen = iota
	// FirstCompleted: when any future is done (asyncio.FIRST_COMPLETED).
	FirstCompleted
	// FirstException: when any future fails (not by cancellation), or
	// else when every one is done (asyncio.FIRST_EXCEPTION).
	FirstException
)

// String returns asyncio's name: "ALL_COMPLETED", "FIRST_COMPLETED" or
// "FIRST_EXCEPTION".
func (r ReturnWhen) String() string {
	switch r {
	case AllCompleted:
		return "ALL_COMPLETED"
	case FirstCompleted:
		return "FIRST_COMPLETED"
	case FirstException:
		return "FIRST_EXCEPTION"
	}
	return fmt.Sprintf("ReturnWhen(%d)", uint8(r))
}

// Wait and AsCompleted take NoTimeout (waitfor.go) for no timeout; any
// other timeout of zero or less times out on the next iteration, and an
// AsCompleted Future whose turn did not come fails with ErrTimeout.

// errEmptyWait is Wait's error for no futures (asyncio's message).
var errEmptyWait error = &Error{Kind: "ValueError", Message: "Set of Tasks/Futures is empty."}

// WaitResult is the result of Wait's Future: the futures that were done
// and those still pending when it completed, each in the order given.
type WaitResult struct {
	Done, Pending []*Future
}

// checkFutures returns fs without repeats (the first of each kept), or a
// ValueError if one belongs to another loop.
func (l *Loop) checkFutures(fs []*Future) ([]*Future, error) {
	seen := make(map[*Future]bool, len(fs))
	out := make([]*Future, 0, len(fs))
	for _, f := range fs {
		if f.loop != l {
			return nil, &Error{Kind: "ValueError", Message: "The future belongs to a different loop than the one specified as the loop argument"}
		}
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out, nil
}

// Wait is asyncio.wait: it returns a Future that completes with a
// *WaitResult when returnWhen says so, or when timeout passes (unless it is
// NoTimeout). The Future never fails for the futures' errors,
// and neither the timeout nor cancelling the Future cancels them. Repeated
// futures count once. Wait fails with a ValueError for no futures, for a
// future of another loop, or for an unknown returnWhen.
func (l *Loop) Wait(fs []*Future, returnWhen ReturnWhen, timeout time.Duration) (*Future, error) {
	if returnWhen > FirstException {
		return nil, &Error{Kind: "ValueError", Message: "Invalid return_when value: " + returnWhen.String()}
	}
	fs, err := l.checkFutures(fs)
	if err != nil {
		return nil, err
	}
	if len(fs) == 0 {
		return nil, errEmptyWait
	}
	w := &waitState{out: l.NewFuture(), fs: fs, counter: len(fs), returnWhen: returnWhen}
	w.tokens = make([]int, len(fs))
	for i, f := range fs {
		w.tokens[i] = f.addDoneCallback(w.onCompletion)
	}
	if timeout != NoTimeout {
		w.timer = l.CallLater(timeout, w.release)
	}
	w.out.AddDoneCallback(func(out *Future) {
		if out.Cancelled() {
			w.stop()
		}
	})
	return w.out, nil
}

// waitState is one Wait in progress.
type waitState struct {
	out        *Future
	fs         []*Future
	tokens     []int // addDoneCallback's, for removeDoneCallback
	counter    int   // futures not done yet
	returnWhen ReturnWhen
	timer      *Handle
}

// onCompletion is each future's done callback (asyncio's _on_completion).
func (w *waitState) onCompletion(f *Future) {
	w.counter--
	if w.counter <= 0 || w.returnWhen == FirstCompleted ||
		(w.returnWhen == FirstException && !f.Cancelled() && f.Exception() != nil) {
		w.release()
	}
}

// release completes out with the futures split into done and pending.
func (w *waitState) release() {
	if w.out.Done() {
		return
	}
	w.stop()
	res := &WaitResult{}
	for _, f := range w.fs {
		if f.Done() {
			res.Done = append(res.Done, f)
		} else {
			res.Pending = append(res.Pending, f)
		}
	}
	_ = w.out.SetResult(res)
}

// stop cancels the timer and removes the done callbacks.
func (w *waitState) stop() {
	if w.timer != nil {
		w.timer.Cancel()
	}
	for i, t := range w.tokens {
		w.fs[i].removeDoneCallback(t)
	}
	w.tokens = nil // a token is good for one removal
}

// AsCompleted is asyncio.as_completed used as a plain iterator: it returns
// one new Future per distinct future of fs, and the i-th of them completes
// as the i-th of fs to finish did (its result, its error, or cancelled).
// Once timeout passes (unless it is NoTimeout), the ones not
// completed yet fail with ErrTimeout. The futures of fs are not cancelled.
// A returned Future cancelled before its turn hands its turn to the next.
// It fails with a ValueError for a future of another loop.
func (l *Loop) AsCompleted(fs []*Future, timeout time.Duration) ([]*Future, error) {
	fs, err := l.checkFutures(fs)
	if err != nil {
		return nil, err
	}
	a := &asCompleted{outs: make([]*Future, len(fs)), todo: len(fs), fs: fs}
	for i := range a.outs {
		a.outs[i] = l.NewFuture()
	}
	a.tokens = make([]int, len(fs))
	for i, f := range fs {
		a.tokens[i] = f.addDoneCallback(a.onCompletion)
	}
	if timeout != NoTimeout && len(fs) > 0 {
		a.timer = l.CallLater(timeout, a.onTimeout)
	}
	return a.outs, nil
}

// asCompleted is one AsCompleted in progress.
type asCompleted struct {
	fs     []*Future
	tokens []int
	outs   []*Future
	next   int // outs before next are done
	todo   int // futures of fs not finished yet
	timer  *Handle
}

// nextOut returns the first returned Future not done yet, or nil.
func (a *asCompleted) nextOut() *Future {
	for a.next < len(a.outs) && a.outs[a.next].Done() {
		a.next++
	}
	if a.next == len(a.outs) {
		return nil
	}
	return a.outs[a.next]
}

// onCompletion hands a finished future's outcome to the next Future.
func (a *asCompleted) onCompletion(f *Future) {
	if a.todo == 0 {
		return // timed out already
	}
	a.todo--
	if out := a.nextOut(); out != nil {
		chainOutcome(out, f)
	}
	if a.todo == 0 && a.timer != nil {
		a.timer.Cancel()
	}
}

// onTimeout fails the Futures left with ErrTimeout.
func (a *asCompleted) onTimeout() {
	a.todo = 0
	for i, t := range a.tokens {
		a.fs[i].removeDoneCallback(t)
	}
	a.tokens = nil // a token is good for one removal
	for out := a.nextOut(); out != nil; out = a.nextOut() {
		_ = out.SetException(ErrTimeout)
		// asyncio makes a turn's awaitable only when the iteration asks
		// for it; a turn nobody waited for is not an error to report.
		out.retrieved = true
	}
}

// chainOutcome completes dst as src (done) completed.
func chainOutcome(dst, src *Future) {
	if src.Cancelled() {
		dst.Cancel()
		return
	}
	v, err := src.Result()
	completeWith(dst, v, err)
}
