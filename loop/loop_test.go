package loop

import (
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestCallSoonRunsInFIFOOrder(t *testing.T) {
	l, _ := newTestLoop(t)
	var got, want []int
	for i := range 200 {
		want = append(want, i)
		l.CallSoon(func() { got = append(got, i) })
	}
	mustRun(t, l)
	if !equalInts(got, want) {
		t.Fatalf("order = %v, want %v", got, want)
	}
}

func TestCallbacksScheduledDuringAnIterationRunInTheNext(t *testing.T) {
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
	if want := []string{"a", "b"}; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("first iteration ran %v, want %v", got, want)
	}
	mustRun(t, l)
	if len(got) != 3 || got[2] != "c" {
		t.Fatalf("second run ran %v, want c last", got)
	}
}

func TestStopBeforeRunStopsAfterOneIteration(t *testing.T) {
	l, _ := newTestLoop(t)
	var got []string
	l.CallSoon(func() {
		got = append(got, "first")
		l.CallSoon(func() { got = append(got, "second") })
	})
	l.Stop()
	if err := bounded(t, l, l.RunForever); err != nil {
		t.Fatalf("RunForever: %v", err)
	}
	if len(got) != 1 {
		t.Fatalf("ran %v, want only first", got)
	}
}

func TestTimersRunByDeadlineThenSchedulingOrder(t *testing.T) {
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
	if want := []int{0, 1, 2, 3, 4}; !equalInts(got, want) {
		t.Fatalf("order = %v, want %v", got, want)
	}
}

// TestEqualDeadlinesRunFIFOAcrossSeqWrap schedules timers with one
// deadline while the tie-break sequence number wraps around.
func TestEqualDeadlinesRunFIFOAcrossSeqWrap(t *testing.T) {
	l, _ := newTestLoop(t)
	l.timerSeq = math.MaxUint32 - 5
	when := l.Time() + 0.01
	var got, want []int
	for i := range 12 {
		want = append(want, i)
		l.CallAt(when, func() { got = append(got, i) })
	}
	mustRun(t, l)
	if !equalInts(got, want) {
		t.Fatalf("order = %v", got)
	}
}

func TestEqualDeadlinesRunFIFO(t *testing.T) {
	l, _ := newTestLoop(t)
	when := l.Time() + 0.01
	var got, want []int
	for i := range 300 {
		want = append(want, i)
		h := l.CallAt(when, func() { got = append(got, i) })
		if h.When() != when {
			t.Fatalf("When() = %v, want %v", h.When(), when)
		}
	}
	mustRun(t, l)
	if !equalInts(got, want) {
		t.Fatalf("order = %v", got)
	}
}

func TestTimerFiresNotBeforeItsDeadline(t *testing.T) {
	l, _ := newTestLoop(t)
	var firedAt float64
	h := l.CallLater(30*time.Millisecond, func() { firedAt = l.Time() })
	mustRun(t, l)
	if firedAt < h.When() {
		t.Fatalf("timer due at %v fired at %v", h.When(), firedAt)
	}
}

func TestCancelledTimerDoesNotRun(t *testing.T) {
	l, _ := newTestLoop(t)
	ran := false
	h := l.CallLater(time.Hour, func() { ran = true })
	if l.Idle() {
		t.Fatal("a live timer must keep the loop busy")
	}
	h.Cancel()
	h.Cancel() // harmless
	if !h.Cancelled() || !l.Idle() {
		t.Fatalf("Cancelled() = %v, Idle() = %v; want true, true", h.Cancelled(), l.Idle())
	}
	mustRun(t, l)
	if ran {
		t.Fatal("cancelled timer ran")
	}
}

func TestCancellingADueTimerInTheSameIteration(t *testing.T) {
	l, _ := newTestLoop(t)
	when := l.Time() + 0.01
	var second *Handle
	secondRan := false
	l.CallAt(when, func() { second.Cancel() })
	second = l.CallAt(when, func() { secondRan = true })
	mustRun(t, l)
	if secondRan {
		t.Fatal("timer cancelled by an earlier callback of the same iteration ran")
	}
}

func TestCancelledCallSoonDoesNotRun(t *testing.T) {
	l, _ := newTestLoop(t)
	ran := false
	h := l.CallSoon(func() { ran = true })
	if h.When() != 0 {
		t.Fatalf("When() of a CallSoon handle = %v, want 0", h.When())
	}
	h.Cancel()
	mustRun(t, l)
	if ran {
		t.Fatal("cancelled callback ran")
	}
}

func TestMassCancellationCompactsTheTimerHeap(t *testing.T) {
	l, _ := newTestLoop(t)
	const n = 1000
	handles := make([]*Handle, n)
	for i := range handles {
		handles[i] = l.CallLater(time.Hour+time.Duration(i)*time.Millisecond, func() {})
	}
	for _, h := range handles[:600] {
		h.Cancel()
	}
	if len(l.timers) >= n {
		t.Fatalf("heap still holds %d handles after cancelling 600 of %d", len(l.timers), n)
	}
	if l.liveTimers() != 400 {
		t.Fatalf("live timers = %d, want 400", l.liveTimers())
	}
	for _, h := range handles[600:] {
		h.Cancel()
	}
	if !l.Idle() {
		t.Fatal("loop with only cancelled timers is not idle")
	}
	mustRun(t, l)
	if len(l.timers) > minScheduledTimers {
		t.Fatalf("heap holds %d handles after everything was cancelled and the loop ran", len(l.timers))
	}
}

func TestHeapPrunesCancelledTimersAtTheHead(t *testing.T) {
	l, _ := newTestLoop(t)
	early := l.CallLater(time.Hour, func() {})
	l.CallLater(2*time.Hour, func() {})
	early.Cancel()
	l.pruneTimers()
	if len(l.timers) != 1 || l.cancelledTimers != 0 {
		t.Fatalf("heap = %d handles, %d cancelled; want 1, 0", len(l.timers), l.cancelledTimers)
	}
}

func TestCallSoonThreadsafeFromManyGoroutines(t *testing.T) {
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
				if err != nil {
					t.Errorf("CallSoonThreadsafe: %v", err)
					return
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		if err := l.CallSoonThreadsafe(l.Unref); err != nil {
			t.Errorf("CallSoonThreadsafe: %v", err)
		}
	}()
	mustRun(t, l)
	if total != producers*calls || outOfOrder != 0 {
		t.Fatalf("ran %d calls (%d out of order), want %d in order", total, outOfOrder, producers*calls)
	}
}

func TestPendingThreadsafeCallKeepsLoopBusy(t *testing.T) {
	l, _ := newTestLoop(t)
	ran := false
	if err := l.CallSoonThreadsafe(func() { ran = true }); err != nil {
		t.Fatal(err)
	}
	if l.Idle() {
		t.Fatal("loop with a pending threadsafe call is idle")
	}
	mustRun(t, l)
	if !ran {
		t.Fatal("threadsafe call did not run")
	}
}

func TestRefUnrefAndIdle(t *testing.T) {
	l, _ := newTestLoop(t)
	if !l.Idle() {
		t.Fatal("new loop is not idle")
	}
	l.Ref()
	if l.Idle() {
		t.Fatal("loop with a Ref is idle")
	}
	l.Unref()
	if !l.Idle() {
		t.Fatal("loop is not idle after Unref")
	}
	mustRun(t, l) // returns at once: nothing to do

	l.Ref()
	done := false
	l.CallLater(20*time.Millisecond, func() {
		done = true
		l.Unref()
	})
	mustRun(t, l)
	if !done {
		t.Fatal("Run returned before the reference was released")
	}
}

func TestRunReturnsWhenIdleWhileRefHeldByReader(t *testing.T) {
	l, _ := newTestLoop(t)
	a, b := socketpair(t)
	l.Ref()
	var got []byte
	err := l.AddReader(a, func() {
		buf := make([]byte, 16)
		n, _ := unix.Read(a, buf)
		got = append(got, buf[:n]...)
		l.RemoveReader(a)
		l.Unref()
	})
	if err != nil {
		t.Fatal(err)
	}
	go unix.Write(b, []byte("x"))
	mustRun(t, l)
	if string(got) != "x" {
		t.Fatalf("read %q, want x", got)
	}
}

func TestRunForeverIgnoresIdlenessUntilStop(t *testing.T) {
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
	if err := bounded(t, l, l.RunForever); err != nil {
		t.Fatalf("RunForever: %v", err)
	}
	stopCalled.Wait()
	if !stopped {
		t.Fatal("RunForever returned before Stop")
	}
}

func TestStopInCallbackFinishesTheIteration(t *testing.T) {
	l, _ := newTestLoop(t)
	after := false
	l.CallSoon(l.Stop)
	l.CallSoon(func() { after = true })
	l.Ref()
	defer l.Unref()
	if err := bounded(t, l, l.RunForever); err != nil {
		t.Fatal(err)
	}
	if !after {
		t.Fatal("callback queued after Stop in the same iteration did not run")
	}
}

func TestNestedRunFailsWithErrRunning(t *testing.T) {
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
	if !running || l.IsRunning() {
		t.Fatalf("IsRunning inside = %v, after = %v", running, l.IsRunning())
	}
	for i, err := range errs {
		if !errors.Is(err, ErrRunning) {
			t.Errorf("call %d: err = %v, want ErrRunning", i, err)
		}
	}
}

func TestRunUntilComplete(t *testing.T) {
	t.Run("result", func(t *testing.T) {
		l, _ := newTestLoop(t)
		f := l.NewFuture()
		l.CallLater(10*time.Millisecond, func() { f.SetResult(42) })
		v, err := bounded2(t, l, f)
		if err != nil || v != 42 {
			t.Fatalf("got %v, %v; want 42, nil", v, err)
		}
	})
	t.Run("error", func(t *testing.T) {
		l, _ := newTestLoop(t)
		f := l.NewFuture()
		boom := errors.New("boom")
		l.CallSoon(func() { f.SetException(boom) })
		if _, err := bounded2(t, l, f); err != boom {
			t.Fatalf("err = %v, want boom", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		l, _ := newTestLoop(t)
		f := l.NewFuture()
		l.CallSoon(func() { f.Cancel() })
		if _, err := bounded2(t, l, f); err != ErrCancelled {
			t.Fatalf("err = %v, want ErrCancelled", err)
		}
	})
	t.Run("already done", func(t *testing.T) {
		l, _ := newTestLoop(t)
		f := l.NewFuture()
		f.SetResult("x")
		if v, err := bounded2(t, l, f); v != "x" || err != nil {
			t.Fatalf("got %v, %v", v, err)
		}
	})
	t.Run("idle", func(t *testing.T) {
		l, _ := newTestLoop(t)
		if _, err := bounded2(t, l, l.NewFuture()); err != ErrIdle {
			t.Fatalf("err = %v, want ErrIdle", err)
		}
	})
	t.Run("stopped early", func(t *testing.T) {
		l, _ := newTestLoop(t)
		l.Ref()
		l.CallSoon(l.Stop)
		if _, err := bounded2(t, l, l.NewFuture()); !errors.Is(err, ErrCancelled) {
			t.Fatalf("err = %v, want one wrapping ErrCancelled", err)
		}
	})
	t.Run("foreign future", func(t *testing.T) {
		l, _ := newTestLoop(t)
		other, _ := newTestLoop(t)
		if _, err := l.RunUntilComplete(other.NewFuture()); err == nil {
			t.Fatal("a future of another loop was accepted")
		}
	})
	t.Run("stop callback does not leak into the next run", func(t *testing.T) {
		l, _ := newTestLoop(t)
		f := l.NewFuture()
		l.CallSoon(func() {
			f.SetResult(1) // queues the stop callback for the next iteration
			l.Stop()       // but this run ends first
		})
		if v, err := bounded2(t, l, f); v != 1 || err != nil {
			t.Fatalf("got %v, %v", v, err)
		}
		var got []int
		l.CallSoon(func() { l.CallSoon(func() { got = append(got, 2) }) })
		mustRun(t, l)
		if !equalInts(got, []int{2}) {
			t.Fatalf("the next run stopped early: ran %v", got)
		}
	})
}

func bounded2(t *testing.T, l *Loop, f *Future) (any, error) {
	var v any
	err := bounded(t, l, func() error {
		var err error
		v, err = l.RunUntilComplete(f)
		return err
	})
	return v, err
}

func TestClose(t *testing.T) {
	l, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := socketpair(t)
	if err := l.AddReader(a, func() {}); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if !l.IsClosed() {
		t.Fatal("IsClosed() = false after Close")
	}
	if err := l.CallSoonThreadsafe(func() {}); err != ErrClosed {
		t.Fatalf("CallSoonThreadsafe after Close: %v", err)
	}
	if err := l.Run(); err != ErrClosed {
		t.Fatalf("Run after Close: %v", err)
	}
	if err := l.AddWriter(a, func() {}); !errors.Is(err, ErrClosed) {
		t.Fatalf("AddWriter after Close: %v", err)
	}
	if h := l.CallSoon(func() {}); !h.Cancelled() {
		t.Fatal("CallSoon on a closed loop returned a live handle")
	}
	l.Stop() // harmless on a closed loop
}

func TestTimeIsMonotonicSeconds(t *testing.T) {
	l, _ := newTestLoop(t)
	t1 := l.Time()
	deadline := time.Now().Add(5 * time.Millisecond)
	for time.Now().Before(deadline) {
	}
	t2 := l.Time()
	if t2 <= t1 || t2-t1 < 0.005 || t2-t1 > 10 {
		t.Fatalf("Time went from %v to %v over 5ms", t1, t2)
	}
}

func TestReadBufferIsSharedAndSized(t *testing.T) {
	l, _ := newTestLoop(t)
	b1 := l.ReadBuffer()
	b2 := l.ReadBuffer()
	if len(b1) != ReadBufferSize || &b1[0] != &b2[0] {
		t.Fatalf("ReadBuffer: len %d, shared %v", len(b1), &b1[0] == &b2[0])
	}
}

func TestCallAtNaNMeansNow(t *testing.T) {
	l, _ := newTestLoop(t)
	var got []int
	l.CallLater(time.Hour, func() { got = append(got, 9) }).Cancel()
	l.CallAt(math.NaN(), func() { got = append(got, 1) })
	l.CallLater(time.Millisecond, func() { got = append(got, 2) })
	mustRun(t, l)
	if !equalInts(got, []int{1, 2}) {
		t.Fatalf("ran %v, want [1 2]", got)
	}
}
