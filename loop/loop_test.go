package loop

import (
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// TestCallSoonRunsInFIFOOrder: callbacks run in the order CallSoon
// scheduled them.
func TestCallSoonRunsInFIFOOrder(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	var got, want []int
	for i := range 200 {
		want = append(want, i)
		l.CallSoon(func() { got = append(got, i) })
	}
	mustRun(t, l)
	require.Equal(t, want, got, "order")
}

// TestCallbacksScheduledDuringAnIterationRunInTheNext: a callback scheduled
// by a running callback waits for the next iteration, so a Stop in the
// current one leaves it for the next run.
func TestCallbacksScheduledDuringAnIterationRunInTheNext(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	var got []string
	l.CallSoon(func() {
		got = append(got, "a")
		l.CallSoon(func() { got = append(got, "c") })
	})
	l.CallSoon(func() {
		got = append(got, "b")
		l.Stop() // the iteration ends after b; c belongs to the next one
	})
	mustRun(t, l)
	require.Equal(t, []string{"a", "b"}, got, "the first iteration")
	mustRun(t, l)
	require.Equal(t, []string{"a", "b", "c"}, got, "after the second run")
}

// TestStopBeforeRunStopsAfterOneIteration: Stop called before RunForever
// makes it run one iteration.
func TestStopBeforeRunStopsAfterOneIteration(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	var got []string
	l.CallSoon(func() {
		got = append(got, "first")
		l.CallSoon(func() { got = append(got, "second") })
	})
	l.Stop()
	require.NoError(t, bounded(t, l, l.RunForever), "RunForever")
	require.Equal(t, []string{"first"}, got)
}

// TestTimersRunByDeadlineThenSchedulingOrder: timers run in deadline order,
// timers with one deadline in the order they were scheduled, and a negative
// delay means now.
func TestTimersRunByDeadlineThenSchedulingOrder(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	var got []int
	base := l.Time() + 0.02
	record := func(i int) func() { return func() { got = append(got, i) } }
	l.CallAt(base+0.02, record(4))
	l.CallAt(base, record(1))
	l.CallAt(base+0.01, record(3))
	l.CallAt(base, record(2)) // same deadline as 1: runs after it
	l.CallLater(-time.Second, record(0))
	mustRun(t, l)
	require.Equal(t, []int{0, 1, 2, 3, 4}, got, "order")
}

// TestEqualDeadlinesRunFIFOAcrossSeqWrap schedules timers with one
// deadline while the tie-break sequence number wraps around: they still run
// in scheduling order.
func TestEqualDeadlinesRunFIFOAcrossSeqWrap(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	l.timerSeq = math.MaxUint32 - 5
	when := l.Time() + 0.01
	var got, want []int
	for i := range 12 {
		want = append(want, i)
		l.CallAt(when, func() { got = append(got, i) })
	}
	mustRun(t, l)
	require.Equal(t, want, got, "order")
}

// TestEqualDeadlinesRunFIFO: many timers with one deadline run in
// scheduling order, and each handle's When is that deadline.
func TestEqualDeadlinesRunFIFO(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	when := l.Time() + 0.01
	var got, want []int
	for i := range 300 {
		want = append(want, i)
		h := l.CallAt(when, func() { got = append(got, i) })
		require.Equal(t, when, h.When(), "When()")
	}
	mustRun(t, l)
	require.Equal(t, want, got, "order")
}

// TestTimerFiresNotBeforeItsDeadline: a timer never runs before its
// deadline by the loop's clock.
func TestTimerFiresNotBeforeItsDeadline(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	var firedAt float64
	h := l.CallLater(30*time.Millisecond, func() { firedAt = l.Time() })
	mustRun(t, l)
	require.GreaterOrEqual(t, firedAt, h.When(), "the timer fired before its deadline")
}

// TestCancelledTimerDoesNotRun: a live timer keeps the loop busy; once
// cancelled (twice is harmless) it neither runs nor does.
func TestCancelledTimerDoesNotRun(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	ran := false
	h := l.CallLater(time.Hour, func() { ran = true })
	require.False(t, l.Idle(), "a live timer must keep the loop busy")
	h.Cancel()
	h.Cancel() // harmless
	require.True(t, h.Cancelled(), "Cancelled()")
	require.True(t, l.Idle(), "Idle() with only a cancelled timer")
	mustRun(t, l)
	require.False(t, ran, "the cancelled timer ran")
}

// TestCancellingADueTimerInTheSameIteration: a due timer cancelled by an
// earlier callback of the same iteration does not run.
func TestCancellingADueTimerInTheSameIteration(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	when := l.Time() + 0.01
	var second *Handle
	secondRan := false
	l.CallAt(when, func() { second.Cancel() })
	second = l.CallAt(when, func() { secondRan = true })
	mustRun(t, l)
	require.False(t, secondRan, "a timer cancelled by an earlier callback of the same iteration ran")
}

// TestCancelledCallSoonDoesNotRun: a CallSoon handle has When 0, and once
// cancelled its callback does not run.
func TestCancelledCallSoonDoesNotRun(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	ran := false
	h := l.CallSoon(func() { ran = true })
	require.Zero(t, h.When(), "When() of a CallSoon handle")
	h.Cancel()
	mustRun(t, l)
	require.False(t, ran, "the cancelled callback ran")
}

// TestMassCancellationCompactsTheTimerHeap: cancelling most timers shrinks
// the heap, the live count stays right, and a loop with only cancelled
// timers is idle and ends with a small heap.
func TestMassCancellationCompactsTheTimerHeap(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	const n = 1000
	handles := make([]*Handle, n)
	for i := range handles {
		handles[i] = l.CallLater(time.Hour+time.Duration(i)*time.Millisecond, func() {})
	}
	for _, h := range handles[:600] {
		h.Cancel()
	}
	require.Less(t, len(l.timers), n, "heap size after cancelling 600 of %d", n)
	require.Equal(t, 400, l.liveTimers(), "live timers")
	for _, h := range handles[600:] {
		h.Cancel()
	}
	require.True(t, l.Idle(), "a loop with only cancelled timers is not idle")
	mustRun(t, l)
	require.LessOrEqual(t, len(l.timers), minScheduledTimers, "heap size after everything was cancelled and the loop ran")
}

// TestHeapPrunesCancelledTimersAtTheHead: pruning drops a cancelled timer
// at the head of the heap and its count.
func TestHeapPrunesCancelledTimersAtTheHead(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	early := l.CallLater(time.Hour, func() {})
	l.CallLater(2*time.Hour, func() {})
	early.Cancel()
	l.pruneTimers()
	require.Len(t, l.timers, 1, "heap")
	require.Zero(t, l.cancelledTimers, "cancelled timers counted")
}

// TestCallSoonThreadsafeFromManyGoroutines: every call from several
// goroutines runs, each goroutine's calls in its order.
func TestCallSoonThreadsafeFromManyGoroutines(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	const producers, calls = 8, 500
	last := make([]int, producers)
	total := 0
	outOfOrder := 0
	var wg sync.WaitGroup
	l.Ref() // the producers keep the loop alive until they are done
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 1; i <= calls; i++ {
				err := l.CallSoonThreadsafe(func() {
					if last[p] != i-1 {
						outOfOrder++
					}
					last[p] = i
					total++
				})
				if !assert.NoError(t, err, "CallSoonThreadsafe") {
					return
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		assert.NoError(t, l.CallSoonThreadsafe(l.Unref), "CallSoonThreadsafe")
	}()
	mustRun(t, l)
	require.Equal(t, producers*calls, total, "calls that ran")
	require.Zero(t, outOfOrder, "calls out of order")
}

// TestPendingThreadsafeCallKeepsLoopBusy: a threadsafe call not yet run
// keeps the loop busy until it has run.
func TestPendingThreadsafeCallKeepsLoopBusy(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	ran := false
	require.NoError(t, l.CallSoonThreadsafe(func() { ran = true }))
	require.False(t, l.Idle(), "a loop with a pending threadsafe call is idle")
	mustRun(t, l)
	require.True(t, ran, "the threadsafe call did not run")
}

// TestRefUnrefAndIdle: a reference keeps the loop busy, and Run returns
// only once it is released.
func TestRefUnrefAndIdle(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	require.True(t, l.Idle(), "a new loop is not idle")
	l.Ref()
	require.False(t, l.Idle(), "a loop with a Ref is idle")
	l.Unref()
	require.True(t, l.Idle(), "the loop is not idle after Unref")
	mustRun(t, l) // returns at once: nothing to do

	l.Ref()
	done := false
	l.CallLater(20*time.Millisecond, func() {
		done = true
		l.Unref()
	})
	mustRun(t, l)
	require.True(t, done, "Run returned before the reference was released")
}

// TestRunReturnsWhenIdleWhileRefHeldByReader: Run waits for a reader that
// holds a reference, and returns once it drops it.
func TestRunReturnsWhenIdleWhileRefHeldByReader(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	a, b := socketpair(t)
	l.Ref()
	var got []byte
	require.NoError(t, l.AddReader(a, func() {
		buf := make([]byte, 16)
		n, err := unix.Read(a, buf)
		assert.NoError(t, err, "read")
		got = append(got, buf[:max(n, 0)]...)
		l.RemoveReader(a)
		l.Unref()
	}))
	go unix.Write(b, []byte("x"))
	mustRun(t, l)
	require.Equal(t, "x", string(got))
}

// TestRunForeverIgnoresIdlenessUntilStop: RunForever keeps running while
// the loop is idle, until another goroutine calls Stop.
func TestRunForeverIgnoresIdlenessUntilStop(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	started := make(chan struct{})
	var stopCalled sync.WaitGroup
	stopCalled.Add(1)
	stopped := false
	l.CallSoon(func() { close(started) })
	go func() {
		<-started
		// The loop is idle now and blocked in its poller; only Stop ends it.
		stopped = true
		stopCalled.Done()
		l.Stop()
	}()
	require.NoError(t, bounded(t, l, l.RunForever), "RunForever")
	stopCalled.Wait()
	require.True(t, stopped, "RunForever returned before Stop")
}

// TestStopInCallbackFinishesTheIteration: the callbacks queued after the
// one that calls Stop in the same iteration still run.
func TestStopInCallbackFinishesTheIteration(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	after := false
	l.CallSoon(l.Stop)
	l.CallSoon(func() { after = true })
	l.Ref()
	defer l.Unref()
	require.NoError(t, bounded(t, l, l.RunForever))
	require.True(t, after, "a callback queued after Stop in the same iteration did not run")
}

// TestNestedRunFailsWithErrRunning: Run, RunForever, RunUntilComplete and
// Close called from a callback fail with ErrRunning, and IsRunning is true
// only during the run.
func TestNestedRunFailsWithErrRunning(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	var errs []error
	var running bool
	l.CallSoon(func() {
		running = l.IsRunning()
		errs = append(errs, l.Run(), l.RunForever())
		_, err := l.RunUntilComplete(l.NewFuture())
		errs = append(errs, err, l.Close())
	})
	mustRun(t, l)
	require.True(t, running, "IsRunning inside a callback")
	require.False(t, l.IsRunning(), "IsRunning after the run")
	require.Len(t, errs, 4)
	for i, err := range errs {
		assert.ErrorIs(t, err, ErrRunning, "call %d", i)
	}
}

// TestRunUntilComplete: RunUntilComplete returns the future's result or
// error, ErrCancelled for a cancelled future, ErrIdle when nothing can
// complete it, an error wrapping ErrCancelled when Stop ends the run first,
// refuses another loop's future, and its stop callback does not end a
// later run.
func TestRunUntilComplete(t *testing.T) {
	t.Parallel()
	t.Run("result", func(t *testing.T) {
		t.Parallel()
		l, _ := newTestLoop(t)
		f := l.NewFuture()
		l.CallLater(10*time.Millisecond, func() { f.SetResult(42) })
		v, err := runUntilComplete(t, l, f)
		require.NoError(t, err)
		require.Equal(t, 42, v)
	})
	t.Run("error", func(t *testing.T) {
		t.Parallel()
		l, _ := newTestLoop(t)
		f := l.NewFuture()
		boom := errors.New("boom")
		l.CallSoon(func() { f.SetException(boom) })
		_, err := runUntilComplete(t, l, f)
		require.Same(t, boom, err)
	})
	t.Run("cancelled", func(t *testing.T) {
		t.Parallel()
		l, _ := newTestLoop(t)
		f := l.NewFuture()
		l.CallSoon(func() { f.Cancel() })
		_, err := runUntilComplete(t, l, f)
		require.Same(t, ErrCancelled, err)
	})
	t.Run("already done", func(t *testing.T) {
		t.Parallel()
		l, _ := newTestLoop(t)
		f := l.NewFuture()
		require.NoError(t, f.SetResult("x"))
		v, err := runUntilComplete(t, l, f)
		require.NoError(t, err)
		require.Equal(t, "x", v)
	})
	t.Run("idle", func(t *testing.T) {
		t.Parallel()
		l, _ := newTestLoop(t)
		_, err := runUntilComplete(t, l, l.NewFuture())
		require.Same(t, ErrIdle, err)
	})
	t.Run("stopped early", func(t *testing.T) {
		t.Parallel()
		l, _ := newTestLoop(t)
		l.Ref()
		l.CallSoon(l.Stop)
		_, err := runUntilComplete(t, l, l.NewFuture())
		require.ErrorIs(t, err, ErrCancelled)
	})
	t.Run("foreign future", func(t *testing.T) {
		t.Parallel()
		l, _ := newTestLoop(t)
		other, _ := newTestLoop(t)
		_, err := l.RunUntilComplete(other.NewFuture())
		require.Error(t, err, "a future of another loop was accepted")
	})
	t.Run("stop callback does not leak into the next run", func(t *testing.T) {
		t.Parallel()
		l, _ := newTestLoop(t)
		f := l.NewFuture()
		l.CallSoon(func() {
			f.SetResult(1) // queues the stop callback for the next iteration
			l.Stop()       // but this run ends first
		})
		v, err := runUntilComplete(t, l, f)
		require.NoError(t, err)
		require.Equal(t, 1, v)
		var got []int
		l.CallSoon(func() { l.CallSoon(func() { got = append(got, 2) }) })
		mustRun(t, l)
		require.Equal(t, []int{2}, got, "the next run stopped early")
	})
}

// TestClose: Close (twice is fine) closes the loop: later calls fail with
// ErrClosed, CallSoon returns a cancelled handle, and Stop is harmless.
func TestClose(t *testing.T) {
	t.Parallel()
	l, err := New(Options{})
	require.NoError(t, err)
	a, _ := socketpair(t)
	require.NoError(t, l.AddReader(a, func() {}))
	require.NoError(t, l.Close(), "Close")
	require.NoError(t, l.Close(), "a second Close")
	require.True(t, l.IsClosed(), "IsClosed() after Close")
	require.Same(t, ErrClosed, l.CallSoonThreadsafe(func() {}), "CallSoonThreadsafe after Close")
	require.Same(t, ErrClosed, l.Run(), "Run after Close")
	require.ErrorIs(t, l.AddWriter(a, func() {}), ErrClosed, "AddWriter after Close")
	require.True(t, l.CallSoon(func() {}).Cancelled(), "CallSoon on a closed loop returned a live handle")
	l.Stop() // harmless on a closed loop
}

// TestTimeIsMonotonicSeconds: the loop's clock counts seconds: over an
// interval of at least 5 ms it advances by at least 0.005 and by no more
// than the wall-clock time that passed around the two readings.
func TestTimeIsMonotonicSeconds(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	start := time.Now()
	t1 := l.Time()
	time.Sleep(5 * time.Millisecond) // the interval measured, not a wait for an event
	t2 := l.Time()
	elapsed := time.Since(start)
	require.GreaterOrEqual(t, t2-t1, 0.005, "Time went from %v to %v over at least 5ms", t1, t2)
	require.LessOrEqual(t, t2-t1, elapsed.Seconds(), "Time went from %v to %v over %v", t1, t2, elapsed)
}

// TestReadBufferIsSharedAndSized: ReadBuffer returns one buffer of
// ReadBufferSize bytes each time.
func TestReadBufferIsSharedAndSized(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	b1 := l.ReadBuffer()
	b2 := l.ReadBuffer()
	require.Len(t, b1, ReadBufferSize)
	require.Same(t, &b1[0], &b2[0], "ReadBuffer returned another buffer")
}

// TestCallAtNaNMeansNow: CallAt with a NaN deadline runs as soon as
// possible, before a later timer.
func TestCallAtNaNMeansNow(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	var got []int
	l.CallLater(time.Hour, func() { got = append(got, 9) }).Cancel()
	l.CallAt(math.NaN(), func() { got = append(got, 1) })
	l.CallLater(time.Millisecond, func() { got = append(got, 2) })
	mustRun(t, l)
	require.Equal(t, []int{1, 2}, got)
}

// TestNegativeDelayOrdersByDeadline: as asyncio orders timers by deadline,
// call_later(-1) made after call_later(0) runs first, and its deadline is in
// the past.
func TestNegativeDelayOrdersByDeadline(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	var order []string
	zero := l.CallLater(0, func() { order = append(order, "zero") })
	past := l.CallLater(-time.Second, func() { order = append(order, "past") })
	assert.Less(t, past.When(), zero.When(), "the negative delay's deadline")
	mustRun(t, l)
	assert.Equal(t, []string{"past", "zero"}, order)
}
