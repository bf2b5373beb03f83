package loop

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFutureCallbacksRunInOrderThroughCallSoon: done callbacks are not run
// by SetResult itself but scheduled with CallSoon, in the order they were
// added, each given the future.
func TestFutureCallbacksRunInOrderThroughCallSoon(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	f := l.NewFuture()
	require.Same(t, l, f.Loop(), "Loop() is not the creating loop")
	var got []int
	for i := range 5 {
		f.AddDoneCallback(func(g *Future) {
			assert.Same(t, f, g, "the callback got another future")
			got = append(got, i)
		})
	}
	require.NoError(t, f.SetResult("v"))
	require.Empty(t, got, "done callbacks ran synchronously")
	mustRun(t, l)
	require.Equal(t, []int{0, 1, 2, 3, 4}, got, "order")
}

// TestAddDoneCallbackAfterDoneSchedulesAtOnce: a done callback added to a
// done future is scheduled at once, after what was already scheduled.
func TestAddDoneCallbackAfterDoneSchedulesAtOnce(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	f := l.NewFuture()
	require.NoError(t, f.SetResult(1))
	var got []string
	l.CallSoon(func() { got = append(got, "earlier") })
	f.AddDoneCallback(func(*Future) { got = append(got, "done") })
	require.Empty(t, got, "the callback ran synchronously")
	mustRun(t, l)
	require.Equal(t, []string{"earlier", "done"}, got)
}

// TestFutureStates: a pending future has no result (ErrInvalidState); a
// future completes once, with a result, an error (not nil) or by
// cancellation, and then refuses to complete again; cancelling schedules
// the done callbacks.
func TestFutureStates(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	f := l.NewFuture()
	require.False(t, f.Done(), "a new future is done")
	require.False(t, f.Cancelled(), "a new future is cancelled")
	_, err := f.Result()
	require.Same(t, ErrInvalidState, err, "Result of a pending future")
	require.Same(t, ErrInvalidState, f.Exception(), "Exception of a pending future")
	require.NoError(t, f.SetResult(7))
	v, err := f.Result()
	require.NoError(t, err)
	require.Equal(t, 7, v)
	require.NoError(t, f.Exception())
	require.Same(t, ErrInvalidState, f.SetResult(8), "SetResult of a done future")
	require.Same(t, ErrInvalidState, f.SetException(errors.New("x")), "SetException of a done future")
	require.False(t, f.Cancel(), "Cancel of a done future reported true")

	g := l.NewFuture()
	boom := errors.New("boom")
	require.Error(t, g.SetException(nil), "SetException(nil)")
	require.NoError(t, g.SetException(boom))
	_, err = g.Result()
	require.Same(t, boom, err, "Result's error")
	require.Same(t, boom, g.Exception())

	h := l.NewFuture()
	called := false
	h.AddDoneCallback(func(*Future) { called = true })
	require.True(t, h.Cancel(), "Cancel of a pending future")
	require.True(t, h.Cancelled(), "Cancelled() after Cancel")
	require.True(t, h.Done(), "Done() after Cancel")
	require.False(t, h.Cancel(), "a second Cancel reported true")
	_, err = h.Result()
	require.Same(t, ErrCancelled, err, "Result's error after Cancel")
	require.Same(t, ErrCancelled, h.Exception(), "Exception after Cancel")
	require.Same(t, ErrInvalidState, h.SetResult(1), "SetResult on a cancelled future")
	mustRun(t, l)
	require.True(t, called, "Cancel did not schedule the done callbacks")
}

// TestReportUnretrieved: a failed future marked with LogUnretrieved is
// reported once by ReportUnretrieved unless Result or Exception was called;
// a repr (Outcome, String) does not count, a cancelled or successful future
// is not reported, marking after the failure counts too, and pruning the
// list keeps the unretrieved ones.
func TestReportUnretrieved(t *testing.T) {
	t.Parallel()
	l, stderr := newTestLoop(t)
	fail := func(msg string) *Future {
		f := l.NewFuture()
		f.LogUnretrieved()
		f.LogUnretrieved() // twice: still one report
		require.NoError(t, f.SetException(errors.New(msg)))
		return f
	}
	fail("never looked at")
	fail("looked at with Result").Result()
	fail("looked at with Exception").Exception()
	peeked := fail("only printed")
	peeked.Outcome()
	_ = peeked.String()
	late := l.NewFuture()
	require.NoError(t, late.SetException(errors.New("marked after failing")))
	late.LogUnretrieved()
	unmarked := l.NewFuture()
	require.NoError(t, unmarked.SetException(errors.New("not marked")))
	ok := l.NewFuture()
	ok.LogUnretrieved()
	require.NoError(t, ok.SetResult(1))
	cancelled := l.NewFuture()
	cancelled.LogUnretrieved()
	cancelled.Cancel()
	for range 200 { // past the pruning threshold, all retrieved
		fail("pruned").Exception()
	}

	assert.Equal(t, 3, l.ReportUnretrieved(), "ReportUnretrieved()")
	out := stderr.String()
	for _, want := range []string{
		"Future exception was never retrieved",
		"never looked at",
		"only printed",
		"marked after failing",
		"future: <Future finished exception=only printed>",
	} {
		assert.Contains(t, out, want, "the report")
	}
	for _, unwanted := range []string{"looked at with", "not marked", "pruned"} {
		assert.NotContains(t, out, unwanted, "the report")
	}
	assert.Zero(t, l.ReportUnretrieved(), "a second ReportUnretrieved()")
}

// TestUnretrievedReportedEarlyPastTheBound: past maxKeptUnretrieved
// unretrieved failures, the older half is reported on the next iteration
// instead of at the end, each future once.
func TestUnretrievedReportedEarlyPastTheBound(t *testing.T) {
	t.Parallel()
	l, stderr := newTestLoop(t)
	total := maxKeptUnretrieved + 200
	for range total {
		f := l.NewFuture()
		f.LogUnretrieved()
		require.NoError(t, f.SetException(errors.New("dropped")))
	}
	mustRun(t, l)
	early := strings.Count(stderr.String(), "Future exception was never retrieved")
	assert.Positive(t, early, "failures reported early")
	assert.Less(t, early, total, "failures reported early")
	assert.Equal(t, total, early+l.ReportUnretrieved(), "failures reported early and at the end")
}
