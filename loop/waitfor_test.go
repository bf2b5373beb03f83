package loop

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestWaitForResultAndTimeout: the result of a future done in time; a
// timeout cancels the inner future and fails with ErrTimeout after the
// inner future's own callbacks.
func TestWaitForResultAndTimeout(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	fast := l.NewFuture()
	w := l.WaitFor(fast, time.Hour)
	l.CallSoon(func() { _ = fast.SetResult("quick") })
	v, err := runUntilComplete(t, l, w)
	require.NoError(t, err)
	require.Equal(t, "quick", v)

	slow := l.NewFuture()
	var order []string
	slow.AddDoneCallback(func(*Future) { order = append(order, "inner") })
	w = l.WaitFor(slow, 0)
	w.AddDoneCallback(func(*Future) { order = append(order, "outer") })
	_, err = runUntilComplete(t, l, w)
	require.ErrorIs(t, err, ErrTimeout)
	require.True(t, slow.Cancelled())
	require.Equal(t, []string{"inner", "outer"}, order)
}

// TestWaitForCancel: cancelling the returned future cancels the inner one
// inside Cancel; the returned future is cancelled after the inner future's
// callbacks, as asyncio's wait_for task is.
func TestWaitForCancel(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	inner := l.NewFuture()
	var order []string
	inner.AddDoneCallback(func(*Future) { order = append(order, "inner") })
	w := l.WaitFor(inner, NoTimeout)
	w.AddDoneCallback(func(*Future) { order = append(order, "outer") })
	require.True(t, w.Cancel())
	require.True(t, inner.Cancelled(), "inner not cancelled inside Cancel")
	require.False(t, w.Done(), "the outer future is cancelled once inner's callbacks ran")
	mustRun(t, l)
	require.True(t, w.Cancelled())
	require.Equal(t, []string{"inner", "outer"}, order)
}
