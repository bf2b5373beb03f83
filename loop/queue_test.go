package loop

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// result returns f's result, failing the test if f is not done or failed.
func result(t *testing.T, f *Future) any {
	t.Helper()
	require.True(t, f.Done(), "future not done")
	v, err := f.Result()
	require.NoError(t, err)
	return v
}

// TestQueueBackpressure: with maxsize 2 the third Put waits until a Get
// makes room; the items come out in order.
func TestQueueBackpressure(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	q := l.NewQueue(2)
	assert.Nil(t, result(t, q.Put(1)))
	assert.Nil(t, result(t, q.Put(2)))
	assert.True(t, q.Full())
	third := q.Put(3)
	assert.False(t, third.Done(), "Put on a full queue is done")
	assert.Same(t, ErrQueueFull, q.PutNowait(4))
	assert.Equal(t, "<Queue maxsize=2 _queue=[1, 2] _putters[1] tasks=2>", q.String())
	assert.Equal(t, 1, result(t, q.Get()))
	mustRun(t, l)
	assert.Nil(t, result(t, third))
	assert.Equal(t, []any{2, 3}, q.Items())
	for _, want := range []any{2, 3} {
		v, err := q.GetNowait()
		require.NoError(t, err)
		assert.Equal(t, want, v)
	}
	_, err := q.GetNowait()
	assert.Same(t, ErrQueueEmpty, err)
	assert.True(t, q.Empty())
	assert.False(t, l.NewQueue(0).Full(), "an unbounded queue is never full")
}

// TestQueueGettersFIFO: waiting Gets receive the items in the order they
// asked.
func TestQueueGettersFIFO(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	q := l.NewQueue(0)
	gets := []*Future{q.Get(), q.Get(), q.Get()}
	for i := range 3 {
		require.NoError(t, q.PutNowait(i))
	}
	mustRun(t, l)
	for i, g := range gets {
		assert.Equal(t, i, result(t, g), "get %d", i)
	}
}

// TestQueueCancelledGetterLosesNothing: a Get cancelled after it was woken
// leaves the item for the next Get.
func TestQueueCancelledGetterLosesNothing(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	q := l.NewQueue(0)
	a, b := q.Get(), q.Get()
	require.NoError(t, q.PutNowait("x")) // wakes a
	require.True(t, a.Cancel())
	mustRun(t, l)
	assert.True(t, a.Cancelled())
	assert.Equal(t, "x", result(t, b))
	assert.True(t, q.Empty())
}

// TestQueueCancelledPutter: a cancelled Put withdraws its item; one
// cancelled after it was woken leaves the room to the next Put.
func TestQueueCancelledPutter(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	q := l.NewQueue(1)
	require.NoError(t, q.PutNowait(0))
	a, b, c := q.Put("a"), q.Put("b"), q.Put("c")
	require.True(t, a.Cancel())
	mustRun(t, l)
	_, err := q.GetNowait() // wakes b
	require.NoError(t, err)
	require.True(t, b.Cancel())
	mustRun(t, l)
	assert.True(t, b.Cancelled())
	assert.Nil(t, result(t, c))
	assert.Equal(t, []any{"c"}, q.Items())
}

// TestQueueJoinCountsTaskDone: Join completes when TaskDone was called
// once for each item put; one call too many is a ValueError.
func TestQueueJoinCountsTaskDone(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	q := l.NewQueue(0)
	assert.True(t, q.Join().Done(), "Join of a queue with no unfinished item")
	for i := range 3 {
		require.NoError(t, q.PutNowait(i))
	}
	join := q.Join()
	for range 3 {
		_, err := q.GetNowait()
		require.NoError(t, err)
	}
	require.NoError(t, q.TaskDone())
	require.NoError(t, q.TaskDone())
	mustRun(t, l)
	assert.False(t, join.Done(), "Join done with one item unfinished")
	assert.Equal(t, 1, q.Unfinished())
	require.NoError(t, q.TaskDone())
	mustRun(t, l)
	assert.Nil(t, result(t, join))
	assert.Same(t, ErrTaskDoneTooOften, q.TaskDone())
}

// TestQueueShutdown: after Shutdown, Put fails and waiting Puts fail;
// Get still returns the items left, then fails, and waiting Gets fail.
func TestQueueShutdown(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	q := l.NewQueue(1)
	require.NoError(t, q.PutNowait("left"))
	put := q.Put("blocked")
	q.Shutdown(false)
	assert.True(t, q.IsShutDown())
	mustRun(t, l)
	assert.Same(t, ErrQueueShutDown, put.Exception(), "a waiting Put")
	assert.Same(t, ErrQueueShutDown, q.PutNowait("x"))
	assert.Same(t, ErrQueueShutDown, q.Put("x").Exception())
	assert.Equal(t, "left", result(t, q.Get()))
	assert.Same(t, ErrQueueShutDown, q.Get().Exception())
	_, err := q.GetNowait()
	assert.Same(t, ErrQueueShutDown, err)

	q2 := l.NewQueue(0)
	get := q2.Get()
	q2.Shutdown(false)
	mustRun(t, l)
	assert.Same(t, ErrQueueShutDown, get.Exception(), "a waiting Get")
	assert.Contains(t, q2.String(), " shutdown>")
}

// TestQueueShutdownImmediate: Shutdown(true) drops the items, counts them
// done (Join completes) and makes Get fail at once.
func TestQueueShutdownImmediate(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	q := l.NewQueue(0)
	require.NoError(t, q.PutNowait(1))
	require.NoError(t, q.PutNowait(2))
	join := q.Join()
	q.Shutdown(true)
	mustRun(t, l)
	assert.Nil(t, result(t, join))
	assert.Zero(t, q.Qsize())
	assert.Same(t, ErrQueueShutDown, q.Get().Exception())
	assert.Same(t, ErrTaskDoneTooOften, q.TaskDone())
}

// BenchmarkQueuePutGet: a producer and a consumer through a Queue of
// maxsize 1, each putting (getting) the next item when its last Put (Get)
// completed.
func BenchmarkQueuePutGet(b *testing.B) {
	l, _ := newTestLoop(b)
	q := l.NewQueue(1)
	put, got := 0, 0
	var produce, consume func(*Future)
	produce = func(*Future) {
		if put++; put <= b.N {
			q.Put(put).AddDoneCallback(produce)
		}
	}
	consume = func(*Future) {
		if got++; got < b.N {
			q.Get().AddDoneCallback(consume)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	q.Get().AddDoneCallback(consume)
	produce(nil)
	mustRun(b, l)
	if got != b.N {
		b.Fatalf("got %d items of %d", got, b.N)
	}
}
