package loop

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestGatherFailsWithTheFirstChildToFail: without returnExceptions the
// result fails with the child that failed first in time, not the first in
// argument order (asyncio's gather).
func TestGatherFailsWithTheFirstChildToFail(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	a, b, c := l.NewFuture(), l.NewFuture(), l.NewFuture()
	g := l.Gather(false, a, b, c)
	errA, errC := Errorf("ValueError", "a"), Errorf("ValueError", "c")
	require.NoError(t, c.SetException(errC))
	l.CallSoon(func() { _ = a.SetException(errA) })
	l.CallSoon(func() { _ = b.SetResult(2) })
	_, err := runUntilComplete(t, l, g)
	require.Same(t, errC, err, "gather's error")
	require.False(t, g.Cancelled())
}

// TestGatherResultsInArgumentOrder: results come in argument order; a
// child given twice counts once and appears twice; with returnExceptions an
// error or a cancellation takes the child's place.
func TestGatherResultsInArgumentOrder(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	a, b, c := l.NewFuture(), l.NewFuture(), l.NewFuture()
	g := l.Gather(true, a, b, a, c)
	boom := Errorf("ValueError", "boom")
	l.CallSoon(func() { _ = b.SetException(boom) })
	l.CallSoon(func() { _ = a.SetResult("a") })
	l.CallSoon(func() { c.Cancel() })
	v, err := runUntilComplete(t, l, g)
	require.NoError(t, err)
	require.Equal(t, []any{"a", boom, "a", ErrCancelled}, v)
}

// TestGatherCancelCancelsChildrenAtOnce: cancelling the gathering future
// cancels its pending children inside Cancel; it then fails with
// ErrCancelled instead of being cancelled itself. Cancelling it when every
// child is already done reports false.
func TestGatherCancelCancelsChildrenAtOnce(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	a, b := l.NewFuture(), l.NewFuture()
	g := l.Gather(true, a, b)
	require.True(t, g.Cancel())
	require.True(t, a.Cancelled(), "child a not cancelled by Cancel")
	require.True(t, b.Cancelled(), "child b not cancelled by Cancel")
	require.False(t, g.Done(), "the outer future completes once the children's callbacks ran")
	_, err := runUntilComplete(t, l, g)
	require.True(t, errors.Is(err, ErrCancelled), "err = %v", err)
	require.False(t, g.Cancelled(), "the outer future fails rather than being cancelled")

	done := l.NewFuture()
	require.NoError(t, done.SetResult(1))
	h := l.Gather(false, done)
	require.True(t, h.Done(), "a gather of finished futures is finished at once")
	require.False(t, h.Cancel())
}

// TestGatherOfNothing: no children, an empty list at once.
func TestGatherOfNothing(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	g := l.Gather(false)
	v, err := g.Result()
	require.NoError(t, err)
	require.Equal(t, []any{}, v)
}
