package loop

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hour is a timeout no test reaches: a run that ends proves the timer was
// cancelled (a live timer keeps the loop from going idle).
const hour = time.Hour

// waitResult runs l until idle and returns wait's result.
func waitResult(t *testing.T, l *Loop, wait *Future) *WaitResult {
	t.Helper()
	mustRun(t, l)
	v := result(t, wait)
	res, ok := v.(*WaitResult)
	require.True(t, ok, "result is %T", v)
	return res
}

// futures returns n pending futures of l.
func futures(l *Loop, n int) []*Future {
	fs := make([]*Future, n)
	for i := range fs {
		fs[i] = l.NewFuture()
	}
	return fs
}

// TestWaitAllCompleted: the Future completes when every future is done,
// failed and cancelled ones included, without failing; repeats count once.
func TestWaitAllCompleted(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	fs := futures(l, 3)
	wait, err := l.Wait([]*Future{fs[0], fs[1], fs[0], fs[2]}, AllCompleted, hour)
	require.NoError(t, err)
	require.NoError(t, fs[1].SetException(errors.New("boom")))
	fs[2].Cancel()
	l.CallSoon(func() {
		assert.False(t, wait.Done(), "done before the last future")
		require.NoError(t, fs[0].SetResult(1))
	})
	res := waitResult(t, l, wait)
	assert.Equal(t, fs, res.Done)
	assert.Empty(t, res.Pending)
}

// TestWaitFirstCompleted: the Future completes with the first done future;
// the others stay pending and are not cancelled.
func TestWaitFirstCompleted(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	fs := futures(l, 3)
	wait, err := l.Wait(fs, FirstCompleted, NoTimeout)
	require.NoError(t, err)
	require.NoError(t, fs[1].SetResult("x"))
	res := waitResult(t, l, wait)
	assert.Equal(t, []*Future{fs[1]}, res.Done)
	assert.Equal(t, []*Future{fs[0], fs[2]}, res.Pending)
	assert.False(t, fs[0].Done(), "Wait cancelled a pending future")
}

// TestWaitFirstException: a failure completes the Future at once; a
// cancellation does not count as one; without failures it waits for all.
func TestWaitFirstException(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	fs := futures(l, 3)
	wait, err := l.Wait(fs, FirstException, NoTimeout)
	require.NoError(t, err)
	fs[0].Cancel()
	require.NoError(t, fs[2].SetResult(2))
	mustRun(t, l)
	require.False(t, wait.Done(), "a cancellation or a result counted as an exception")
	require.NoError(t, fs[1].SetException(errors.New("bad")))
	res := waitResult(t, l, wait)
	assert.Equal(t, fs, res.Done)

	gs := futures(l, 2)
	wait, err = l.Wait(gs, FirstException, NoTimeout)
	require.NoError(t, err)
	require.NoError(t, gs[1].SetException(errors.New("bad")))
	res = waitResult(t, l, wait)
	assert.Equal(t, []*Future{gs[1]}, res.Done)
	assert.Equal(t, []*Future{gs[0]}, res.Pending)

	hs := futures(l, 2)
	wait, err = l.Wait(hs, FirstException, NoTimeout)
	require.NoError(t, err)
	require.NoError(t, hs[0].SetResult(0))
	require.NoError(t, hs[1].SetResult(1))
	res = waitResult(t, l, wait)
	assert.Equal(t, hs, res.Done, "no failure: it waits for all")
}

// TestWaitTimeout: with each return_when, a timeout completes the Future
// with what is done and what is pending, and cancels nothing.
func TestWaitTimeout(t *testing.T) {
	t.Parallel()
	for _, rw := range []ReturnWhen{AllCompleted, FirstCompleted, FirstException} {
		l, _ := newTestLoop(t)
		fs := futures(l, 2)
		require.NoError(t, fs[0].SetResult(0))
		wait, err := l.Wait(fs, rw, 0)
		require.NoError(t, err)
		res := waitResult(t, l, wait)
		assert.Equal(t, []*Future{fs[0]}, res.Done, rw.String())
		assert.Equal(t, []*Future{fs[1]}, res.Pending, rw.String())
		assert.False(t, fs[1].Done(), "%s: the timeout cancelled a future", rw)
	}
}

// TestWaitCancelled: cancelling Wait's Future cancels its timer, leaves the
// futures alone and removes its callbacks from them.
func TestWaitCancelled(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	f := l.NewFuture()
	for range 100 {
		wait, err := l.Wait([]*Future{f}, AllCompleted, hour)
		require.NoError(t, err)
		require.True(t, wait.Cancel())
		mustRun(t, l) // returns: the timer was cancelled
	}
	assert.False(t, f.Done())
	assert.Empty(t, f.callbacks, "Wait's callbacks left on the future")
}

// TestWaitArguments: no futures, a future of another loop and an unknown
// return_when are ValueErrors.
func TestWaitArguments(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	other, _ := newTestLoop(t)
	_, err := l.Wait(nil, AllCompleted, NoTimeout)
	assert.EqualError(t, err, "ValueError: Set of Tasks/Futures is empty.")
	_, err = l.Wait([]*Future{other.NewFuture()}, AllCompleted, NoTimeout)
	assert.EqualError(t, err, "ValueError: The future belongs to a different loop than the one specified as the loop argument")
	_, err = l.Wait([]*Future{l.NewFuture()}, ReturnWhen(7), NoTimeout)
	assert.EqualError(t, err, "ValueError: Invalid return_when value: ReturnWhen(7)")
	_, err = l.AsCompleted([]*Future{other.NewFuture()}, NoTimeout)
	assert.Error(t, err)
	outs, err := l.AsCompleted(nil, 0)
	require.NoError(t, err)
	assert.Empty(t, outs)
}

// TestAsCompletedOrder: the returned Futures complete in the order the
// futures finished, each with its result, error or cancellation.
func TestAsCompletedOrder(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	fs := futures(l, 4)
	outs, err := l.AsCompleted(append(fs, fs[0]), hour)
	require.NoError(t, err)
	require.Len(t, outs, 4, "repeats count once")
	boom := errors.New("boom")
	require.NoError(t, fs[2].SetResult("c"))
	require.NoError(t, fs[0].SetException(boom))
	l.CallSoon(func() {
		fs[3].Cancel()
		require.NoError(t, fs[1].SetResult("b"))
	})
	mustRun(t, l) // returns: the timer was cancelled when all finished
	assert.Equal(t, "c", result(t, outs[0]))
	assert.Same(t, boom, outs[1].Exception())
	assert.True(t, outs[2].Cancelled())
	assert.Equal(t, "b", result(t, outs[3]))
}

// TestAsCompletedTimeout: after the timeout, the Futures whose turn has not
// come fail with TimeoutError; the futures are not cancelled.
func TestAsCompletedTimeout(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	fs := futures(l, 3)
	require.NoError(t, fs[1].SetResult(1))
	outs, err := l.AsCompleted(fs, 0)
	require.NoError(t, err)
	mustRun(t, l)
	assert.Equal(t, 1, result(t, outs[0]))
	assert.Same(t, ErrTimeout, outs[1].Exception())
	assert.Same(t, ErrTimeout, outs[2].Exception())
	assert.False(t, fs[0].Done())
	require.NoError(t, fs[0].SetResult(0)) // after the timeout: nowhere to go
	mustRun(t, l)
}

// TestAsCompletedCancelledTurn: a returned Future cancelled before its
// turn hands the turn to the next one.
func TestAsCompletedCancelledTurn(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	fs := futures(l, 2)
	outs, err := l.AsCompleted(fs, NoTimeout)
	require.NoError(t, err)
	outs[0].Cancel()
	require.NoError(t, fs[1].SetResult("first"))
	mustRun(t, l)
	assert.Equal(t, "first", result(t, outs[1]))
}
