package loop

import (
	"fmt"
	"strings"
)

// ErrQueueEmpty is Queue.GetNowait's error for an empty queue (asyncio's
// QueueEmpty).
var ErrQueueEmpty error = &Error{Kind: "QueueEmpty"}

// ErrQueueFull is Queue.PutNowait's error for a full queue (asyncio's
// QueueFull).
var ErrQueueFull error = &Error{Kind: "QueueFull"}

// ErrQueueShutDown is the error of putting on a queue that was shut down,
// or of getting from one that was shut down and is empty (asyncio's
// QueueShutDown).
var ErrQueueShutDown error = &Error{Kind: "QueueShutDown"}

// ErrTaskDoneTooOften is Queue.TaskDone's error when it is called more
// times than items were put.
var ErrTaskDoneTooOften error = &Error{Kind: "ValueError", Message: "task_done() called too many times"}

// Queue is asyncio.Queue (CPython 3.14, with 3.13's shutdown): a FIFO of
// items with an optional bound. Put waits while the queue is full and Get
// while it is empty; each returns a Future. Waiters are woken in FIFO order.
type Queue struct {
	loop       *Loop
	maxsize    int
	items      deque[any]
	getters    deque[*Future]
	putters    deque[*Future]
	unfinished int
	finished   *Event
	shutdown   bool
}

// NewQueue returns a Queue bound to l holding at most maxsize items;
// maxsize <= 0 means no bound.
func (l *Loop) NewQueue(maxsize int) *Queue {
	q := &Queue{loop: l, maxsize: maxsize, finished: l.NewEvent()}
	q.finished.Set()
	return q
}

// Maxsize returns the bound given to NewQueue.
func (q *Queue) Maxsize() int { return q.maxsize }

// Qsize returns the number of items in the queue.
func (q *Queue) Qsize() int { return q.items.len() }

// Empty reports whether the queue holds no item.
func (q *Queue) Empty() bool { return q.items.len() == 0 }

// Full reports whether the queue holds maxsize items (never, without a
// bound).
func (q *Queue) Full() bool { return q.maxsize > 0 && q.items.len() >= q.maxsize }

// Unfinished returns how many items were put and not yet marked done with
// TaskDone.
func (q *Queue) Unfinished() int { return q.unfinished }

// IsShutDown reports whether Shutdown was called.
func (q *Queue) IsShutDown() bool { return q.shutdown }

// Items returns a copy of the items, the next to get first.
func (q *Queue) Items() []any { return append([]any(nil), q.items.items()...) }

// String reads as asyncio's str() of a queue, each item formatted with %v.
func (q *Queue) String() string { return q.Format(func(v any) string { return fmt.Sprint(v) }) }

// Format is String with item formatting each item: <Queue maxsize=0
// _queue=[1, 2] _getters[1] tasks=2 shutdown>.
func (q *Queue) Format(item func(any) string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<Queue maxsize=%d", q.maxsize)
	if q.items.len() > 0 {
		b.WriteString(" _queue=[")
		for i, it := range q.items.items() {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(item(it))
		}
		b.WriteByte(']')
	}
	if n := q.getters.len(); n > 0 {
		fmt.Fprintf(&b, " _getters[%d]", n)
	}
	if n := q.putters.len(); n > 0 {
		fmt.Fprintf(&b, " _putters[%d]", n)
	}
	if q.unfinished > 0 {
		fmt.Fprintf(&b, " tasks=%d", q.unfinished)
	}
	if q.shutdown {
		b.WriteString(" shutdown")
	}
	b.WriteByte('>')
	return b.String()
}

// wakeupNext wakes the first waiter of ws that is not done, dropping it and
// the done ones before it.
func wakeupNext(ws *deque[*Future]) {
	for ws.len() > 0 {
		if w := ws.popFront(); !w.Done() {
			_ = w.SetResult(nil)
			return
		}
	}
}

// wakeAll wakes every waiter of ws and empties it.
func wakeAll(ws *deque[*Future]) {
	for ws.len() > 0 {
		if w := ws.popFront(); !w.Done() {
			_ = w.SetResult(nil)
		}
	}
}

// PutNowait adds item at the end, or fails with ErrQueueShutDown after
// Shutdown, or ErrQueueFull when the queue is full.
func (q *Queue) PutNowait(item any) error {
	if q.shutdown {
		return ErrQueueShutDown
	}
	if q.Full() {
		return ErrQueueFull
	}
	q.items.push(item)
	q.unfinished++
	q.finished.Clear()
	wakeupNext(&q.getters)
	return nil
}

// GetNowait removes and returns the first item, or fails with
// ErrQueueShutDown when the queue is empty and shut down (or was shut down
// with immediate), or ErrQueueEmpty when it is empty.
func (q *Queue) GetNowait() (any, error) {
	if q.Empty() {
		if q.shutdown {
			return nil, ErrQueueShutDown
		}
		return nil, ErrQueueEmpty
	}
	item := q.items.popFront()
	wakeupNext(&q.putters)
	return item, nil
}

// Put returns a Future that completes with nil once item is in the queue:
// at once if there is room, else when a Get makes room. It fails with
// ErrQueueShutDown if the queue is or gets shut down first. Cancelling the
// Future withdraws the item.
func (q *Queue) Put(item any) *Future {
	out := q.loop.NewFuture()
	q.put(item, out)
	return out
}

// put is one turn of asyncio's `while self.full(): ... await putter`.
func (q *Queue) put(item any, out *Future) {
	if !q.Full() {
		completeWith(out, nil, q.PutNowait(item))
		return
	}
	if q.shutdown {
		_ = out.SetException(ErrQueueShutDown)
		return
	}
	w := q.loop.NewFuture()
	q.putters.push(w)
	awaitWaiter(w, out, func(cancelled bool) {
		switch {
		case !cancelled:
			q.put(item, out)
		case w.Cancelled():
			q.putters.remove(w) // a waiter that was woken is gone already
		case !q.Full():
			// Woken, but not taking the room: the next in line may.
			wakeupNext(&q.putters)
		}
	})
}

// Get returns a Future that completes with the first item: at once if
// there is one, else when a Put brings one. It fails with ErrQueueShutDown
// once the queue is shut down and empty. Cancelling the Future gives the
// turn up; no item is lost.
func (q *Queue) Get() *Future {
	out := q.loop.NewFuture()
	q.get(out)
	return out
}

// get is one turn of asyncio's `while self.empty(): ... await getter`.
func (q *Queue) get(out *Future) {
	if !q.Empty() || q.shutdown {
		v, err := q.GetNowait()
		completeWith(out, v, err)
		return
	}
	w := q.loop.NewFuture()
	q.getters.push(w)
	awaitWaiter(w, out, func(cancelled bool) {
		switch {
		case !cancelled:
			q.get(out)
		case w.Cancelled():
			q.getters.remove(w) // a waiter that was woken is gone already
		case !q.Empty():
			// Woken, but not taking the item: the next in line may.
			wakeupNext(&q.getters)
		}
	})
}

// completeWith completes f with v, or with err if it is not nil.
func completeWith(f *Future, v any, err error) {
	if err != nil {
		_ = f.SetException(err)
		return
	}
	_ = f.SetResult(v)
}

// TaskDone marks one item put earlier as processed; when every item is,
// Join's Futures complete. It fails with ErrTaskDoneTooOften (a ValueError)
// when called more times than items were put.
func (q *Queue) TaskDone() error {
	if q.unfinished <= 0 {
		return ErrTaskDoneTooOften
	}
	q.unfinished--
	if q.unfinished == 0 {
		q.finished.Set()
	}
	return nil
}

// Join returns a Future that completes with nil once every item put was
// marked with TaskDone (at once if none is unfinished).
func (q *Queue) Join() *Future {
	if q.unfinished == 0 {
		return q.loop.doneFuture(nil)
	}
	return q.finished.wait(nil)
}

// Shutdown shuts the queue down: Put and PutNowait fail with
// ErrQueueShutDown from now on, and Get and GetNowait once the queue is
// empty. With immediate, the items left are dropped at once, each counted
// as done for Join. Every waiting Put and Get is woken to see it.
func (q *Queue) Shutdown(immediate bool) {
	q.shutdown = true
	if immediate {
		for q.items.len() > 0 {
			q.items.popFront()
			if q.unfinished > 0 {
				q.unfinished--
			}
		}
		if q.unfinished == 0 {
			q.finished.Set()
		}
	}
	wakeAll(&q.getters)
	wakeAll(&q.putters)
}
