package loop

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// onDone appends name to *log when f completes with a result (name+"!"
// when it is cancelled, name+"?" when it fails), then runs then, if given.
func onDone(log *[]string, name string, f *Future, then func()) {
	f.AddDoneCallback(func(f *Future) {
		switch {
		case f.Cancelled():
			*log = append(*log, name+"!")
		case f.Exception() != nil:
			*log = append(*log, name+"?")
		default:
			*log = append(*log, name)
		}
		if then != nil {
			then()
		}
	})
}

// TestLockFIFO: waiters get the lock in the order they asked, each when
// the one before releases it; the lock is held all along.
func TestLockFIFO(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	k := l.NewLock()
	first := k.Acquire()
	require.True(t, first.Done(), "a free lock is taken at once")
	require.True(t, k.Locked())
	var log []string
	for _, name := range []string{"a", "b", "c"} {
		onDone(&log, name, k.Acquire(), func() {
			assert.True(t, k.Locked(), "%s woke without the lock", name)
			require.NoError(t, k.Release())
		})
	}
	assert.Equal(t, "<Lock [locked, waiters:3]>", k.String())
	require.NoError(t, k.Release())
	mustRun(t, l)
	assert.Equal(t, []string{"a", "b", "c"}, log)
	assert.False(t, k.Locked())
	assert.Equal(t, "<Lock [unlocked]>", k.String())
	assert.Same(t, ErrLockNotAcquired, k.Release(), "releasing a free lock")
}

// TestLockNoOvertaking: an Acquire made while a woken waiter has not run
// yet queues behind it (asyncio's fair scheduling).
func TestLockNoOvertaking(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	k := l.NewLock()
	k.Acquire()
	var log []string
	onDone(&log, "a", k.Acquire(), func() { require.NoError(t, k.Release()) })
	require.NoError(t, k.Release())
	require.False(t, k.Locked(), "the lock is free until the woken waiter runs")
	late := k.Acquire()
	require.False(t, late.Done(), "a late Acquire overtook a woken waiter")
	onDone(&log, "late", late, func() { require.NoError(t, k.Release()) })
	mustRun(t, l)
	assert.Equal(t, []string{"a", "late"}, log)
}

// TestLockCancelledWaiter: a waiter cancelled before its turn is skipped;
// one cancelled after it was woken passes the lock on, so it is not lost.
func TestLockCancelledWaiter(t *testing.T) {
	t.Parallel()
	for _, afterWake := range []bool{false, true} {
		l, _ := newTestLoop(t)
		k := l.NewLock()
		k.Acquire()
		var log []string
		a := k.Acquire()
		onDone(&log, "a", a, nil)
		onDone(&log, "b", k.Acquire(), nil)
		if afterWake {
			require.NoError(t, k.Release()) // wakes a
			require.True(t, a.Cancel())
		} else {
			require.True(t, a.Cancel())
			mustRun(t, l)
			require.NoError(t, k.Release())
		}
		mustRun(t, l)
		assert.Equal(t, []string{"a!", "b"}, log, "afterWake=%v", afterWake)
		assert.True(t, k.Locked(), "b holds the lock (afterWake=%v)", afterWake)
		assert.Zero(t, k.Waiters(), "afterWake=%v", afterWake)
	}
}

// TestLockAcquireWhenAllWaitersCancelled: a free lock whose waiters were
// all cancelled is taken at once.
func TestLockAcquireWhenAllWaitersCancelled(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	k := l.NewLock()
	k.Acquire()
	a := k.Acquire()
	a.Cancel()
	mustRun(t, l) // a's waiter is cancelled and removed
	require.NoError(t, k.Release())
	assert.True(t, k.Acquire().Done())
}

// TestEventWakesAllWaiters: Set wakes every waiter with true; Wait on a set
// event is done at once; Clear makes Wait wait again; a cancelled waiter
// leaves.
func TestEventWakesAllWaiters(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	ev := l.NewEvent()
	var log []string
	onDone(&log, "a", ev.Wait(), nil)
	c := ev.Wait()
	onDone(&log, "c", c, nil)
	onDone(&log, "b", ev.Wait(), nil)
	assert.Equal(t, "<Event [unset, waiters:3]>", ev.String())
	c.Cancel()
	mustRun(t, l)
	assert.Equal(t, 2, ev.Waiters(), "the cancelled waiter left")
	ev.Set()
	assert.True(t, ev.IsSet())
	mustRun(t, l)
	assert.Equal(t, []string{"c!", "a", "b"}, log)
	assert.Zero(t, ev.Waiters())
	done := ev.Wait()
	require.True(t, done.Done(), "Wait on a set event")
	v, err := done.Result()
	require.NoError(t, err)
	assert.Equal(t, true, v)
	ev.Clear()
	assert.False(t, ev.IsSet())
	assert.False(t, ev.Wait().Done(), "Wait after Clear")
}

// TestSemaphoreFIFO: a semaphore of 2 lets two in at once, the others in
// order as releases come; release beyond the initial value is allowed.
func TestSemaphoreFIFO(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	s, err := l.NewSemaphore(2)
	require.NoError(t, err)
	require.True(t, s.Acquire().Done())
	require.True(t, s.Acquire().Done())
	assert.True(t, s.Locked())
	var log []string
	for _, name := range []string{"a", "b", "c"} {
		onDone(&log, name, s.Acquire(), nil)
	}
	assert.Equal(t, "<Semaphore [locked, waiters:3]>", s.String())
	require.NoError(t, s.Release())
	mustRun(t, l)
	assert.Equal(t, []string{"a"}, log)
	require.NoError(t, s.Release())
	require.NoError(t, s.Release())
	mustRun(t, l)
	assert.Equal(t, []string{"a", "b", "c"}, log)
	for range 5 {
		require.NoError(t, s.Release(), "a Semaphore may go past its initial value")
	}
	assert.Equal(t, 5, s.Value())
	assert.Equal(t, "<Semaphore [unlocked, value:5]>", s.String())
	_, err = l.NewSemaphore(-1)
	assert.Same(t, ErrSemaphoreValue, err)
}

// TestSemaphoreNoOvertaking: while a waiter waits, Locked is true and a new
// Acquire queues even if the counter is positive.
func TestSemaphoreNoOvertaking(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	s, err := l.NewSemaphore(0)
	require.NoError(t, err)
	var log []string
	onDone(&log, "a", s.Acquire(), nil)
	require.NoError(t, s.Release()) // counted for a, who has not run yet
	require.NoError(t, s.Release())
	late := s.Acquire()
	assert.False(t, late.Done(), "a late Acquire overtook a waiter")
	onDone(&log, "late", late, nil)
	mustRun(t, l)
	assert.Equal(t, []string{"a", "late"}, log)
	assert.Zero(t, s.Value())
}

// TestSemaphoreCancelledAfterWake: a waiter cancelled after it was woken
// gives its count back, and the next waiter gets it.
func TestSemaphoreCancelledAfterWake(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	s, err := l.NewSemaphore(0)
	require.NoError(t, err)
	var log []string
	a := s.Acquire()
	onDone(&log, "a", a, nil)
	onDone(&log, "b", s.Acquire(), nil)
	require.NoError(t, s.Release())
	require.True(t, a.Cancel())
	mustRun(t, l)
	assert.Equal(t, []string{"a!", "b"}, log)
	assert.Zero(t, s.Value())
	assert.Zero(t, s.Waiters())
}

// TestBoundedSemaphoreRelease: a BoundedSemaphore refuses to go past its
// initial value.
func TestBoundedSemaphoreRelease(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	s, err := l.NewBoundedSemaphore(1)
	require.NoError(t, err)
	assert.Same(t, ErrBoundedSemaphoreReleased, s.Release(), "release of a full BoundedSemaphore")
	require.True(t, s.Acquire().Done())
	require.NoError(t, s.Release())
	assert.Same(t, ErrBoundedSemaphoreReleased, s.Release())
	assert.Equal(t, 1, s.Value())
	assert.Equal(t, "<BoundedSemaphore [unlocked, value:1]>", s.String())
	_, err = l.NewBoundedSemaphore(-1)
	assert.Same(t, ErrSemaphoreValue, err)
}

// TestSemaphoreManyReleasesAtOnce: 10,000 waiters released in one
// callback are all served, in order, and the counter ends at zero.
func TestSemaphoreManyReleasesAtOnce(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	s, err := l.NewSemaphore(0)
	require.NoError(t, err)
	var got []int
	outs := make([]*Future, 10000)
	for i := range outs {
		outs[i] = s.Acquire()
		outs[i].AddDoneCallback(func(f *Future) {
			if !f.Cancelled() {
				got = append(got, i)
			}
		})
	}
	outs[5000].Cancel()
	for range len(outs) - 1 {
		require.NoError(t, s.Release())
	}
	mustRun(t, l)
	require.Len(t, got, len(outs)-1)
	for i, n := range got {
		want := i
		if i >= 5000 {
			want = i + 1
		}
		require.Equal(t, want, n, "position %d", i)
	}
	assert.Zero(t, s.Value())
	assert.Zero(t, s.Waiters())
}

// TestDeque: pops from the front, removal anywhere, and compaction keep
// the order.
func TestDeque(t *testing.T) {
	t.Parallel()
	var d deque[int]
	for i := range 100 {
		d.push(i)
	}
	for i := range 60 {
		require.Equal(t, i, d.popFront())
	}
	require.Equal(t, 10, d.remove(70), "position of 70 among 60..99")
	require.Equal(t, 0, d.remove(60))
	require.Equal(t, -1, d.remove(5))
	require.Equal(t, 38, d.len())
	want := []int{}
	for i := 61; i < 100; i++ {
		if i != 70 {
			want = append(want, i)
		}
	}
	require.Equal(t, want, d.items())
	d.clear()
	require.Zero(t, d.len())
	require.Zero(t, d.popFront())
}

// TestLockFIFOManyWithCancellations: 1,000 waiters, every third cancelled
// (half of those after their wake-up): the others get the lock one at a
// time, in the order they asked.
func TestLockFIFOManyWithCancellations(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	k := l.NewLock()
	k.Acquire()
	var got, want []int
	outs := make([]*Future, 1000)
	for i := range outs {
		outs[i] = k.Acquire()
		outs[i].AddDoneCallback(func(f *Future) {
			if f.Cancelled() {
				return
			}
			got = append(got, i)
			require.True(t, k.Locked())
			// Cancel the next waiter right after handing it the lock,
			// every sixth time: it must pass the lock on.
			if i+1 < len(outs) && (i+1)%6 == 0 {
				require.NoError(t, k.Release())
				outs[i+1].Cancel()
				return
			}
			require.NoError(t, k.Release())
		})
	}
	for i := range outs {
		switch {
		case i%6 == 0 && i > 0:
			// cancelled by its predecessor, after the wake-up
		case i%3 == 0 && i > 0:
			outs[i].Cancel()
		default:
			want = append(want, i)
		}
	}
	require.NoError(t, k.Release())
	mustRun(t, l)
	assert.Equal(t, want, got)
	assert.False(t, k.Locked())
	assert.Zero(t, k.Waiters())
}

// BenchmarkLockHandoff: the cost of handing a lock from one waiter to the
// next (an Acquire that waits, a Release, the wake-up and its Future).
func BenchmarkLockHandoff(b *testing.B) {
	l, _ := newTestLoop(b)
	k := l.NewLock()
	k.Acquire()
	n := 0
	var next func(*Future)
	next = func(*Future) {
		n++
		if n < b.N {
			k.Acquire().AddDoneCallback(next)
		}
		_ = k.Release()
	}
	b.ReportAllocs()
	b.ResetTimer()
	k.Acquire().AddDoneCallback(next)
	_ = k.Release()
	mustRun(b, l)
}
