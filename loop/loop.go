package loop

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Timer-heap housekeeping, as asyncio's base_events.py: once the heap holds
// more than minScheduledTimers handles and more than half of them are
// cancelled, the cancelled ones are dropped at once instead of lazily.
const (
	minScheduledTimers        = 100
	minCancelledTimerFraction = 0.5
)

// maxPollTimeoutMs caps one poll, as asyncio's MAXIMUM_SELECT_TIMEOUT (24h).
const maxPollTimeoutMs = 24 * 3600 * 1000

// Loop is one event loop. Create it with New; run it with Run, RunForever or
// RunUntilComplete on the goroutine that owns it.
type Loop struct {
	// Owned by the loop's goroutine.
	poller          poller
	wake            *wakeupFD
	events          []pollEvent
	ready           handleQueue
	timers          timerHeap
	cancelledTimers int // cancelled handles still in timers
	timerSeq        uint32
	fds             []fdEntry // indexed by file descriptor
	refs            int
	debug           bool
	slow            time.Duration // debug mode's slow-callback threshold
	handler         ExceptionHandler
	stderr          io.Writer
	beforeReport    func(ErrorContext) ErrorContext
	origin          time.Time
	readBuf         []byte
	// unretrieved holds failed futures marked with LogUnretrieved until
	// ReportUnretrieved; it is pruned when it reaches unretrievedPrune.
	unretrieved      []*Future
	unretrievedPrune int
	signals          map[syscall.Signal]*signalWatch
	// sources and doneSources are debug mode's records of where handles
	// and pending done callbacks come from (source.go).
	sources     map[*Handle]*Source
	doneSources map[*Future]map[int]*Source
	onArrival   atomic.Pointer[func(syscall.Signal)] // OnSignalArrival's fn

	// Shared with other goroutines.
	closed      atomic.Bool
	running     atomic.Bool
	stopping    atomic.Bool
	wakePending atomic.Bool // a wakeup was written and not drained yet
	tsLen       atomic.Int32
	tsMu        sync.Mutex // guards tsQueue, tsClosed and writing to wake
	tsQueue     []*Handle
	tsSpare     []*Handle
	tsClosed    bool
}

// fdEntry is what the loop watches a file descriptor for. The handles are
// pushed on the ready queue as they are each time the descriptor is ready.
type fdEntry struct {
	reader, writer *Handle
}

func (e *fdEntry) interest() interest {
	var in interest
	if e.reader != nil {
		in |= interestRead
	}
	if e.writer != nil {
		in |= interestWrite
	}
	return in
}

// New creates a loop with its poller and its wakeup descriptor.
func New(opts Options) (*Loop, error) {
	p, err := newPoller()
	if err != nil {
		return nil, fmt.Errorf("new loop: %w", err)
	}
	w, err := newWakeup()
	if err != nil {
		p.close()
		return nil, fmt.Errorf("new loop: %w", err)
	}
	if err := p.update(w.rfd, 0, interestRead); err != nil {
		p.close()
		w.close()
		return nil, fmt.Errorf("new loop: watch wakeup fd: %w", err)
	}
	return &Loop{
		poller:       p,
		wake:         w,
		events:       make([]pollEvent, maxPollEvents),
		debug:        opts.Debug,
		slow:         cmp.Or(max(opts.SlowCallbackDuration, 0), DefaultSlowCallbackDuration),
		stderr:       opts.Stderr,
		beforeReport: opts.BeforeDefaultReport,
		origin:       time.Now(),
	}, nil
}

// Close releases the poller, the wakeup descriptor and signal handlers.
// It fails with ErrRunning while the loop runs. Closing twice is a no-op.
func (l *Loop) Close() error {
	if l.running.Load() {
		return ErrRunning
	}
	if l.closed.Load() {
		return nil
	}
	l.tsMu.Lock()
	l.tsClosed = true
	l.closed.Store(true)
	clear(l.tsQueue)
	l.tsQueue = l.tsQueue[:0]
	l.tsLen.Store(0)
	l.tsMu.Unlock()

	l.stopSignals()
	l.ready.clear()
	for _, h := range l.timers {
		h.inHeap = false
	}
	clear(l.timers)
	l.timers, l.cancelledTimers = nil, 0
	l.fds = nil
	l.readBuf = nil
	l.sources, l.doneSources = nil, nil
	return errors.Join(l.poller.close(), l.wake.close())
}

// IsClosed reports whether Close has been called.
func (l *Loop) IsClosed() bool { return l.closed.Load() }

// Time returns the loop's clock: monotonic seconds, as asyncio's loop.time().
func (l *Loop) Time() float64 {
	return float64(time.Since(l.origin)) / float64(time.Second)
}

// CallSoon schedules fn to run on the next iteration, after every callback
// already scheduled (FIFO). The returned Handle can cancel it.
func (l *Loop) CallSoon(fn func()) *Handle {
	h := &Handle{fn: fn, loop: l}
	l.schedule(h)
	return h
}

// callSoonFuture schedules a Future's done callback without a closure.
func (l *Loop) callSoonFuture(fn func(*Future), f *Future) *Handle {
	h := &Handle{futCb: fn, fut: f, loop: l}
	l.schedule(h)
	return h
}

// schedule appends h to the ready queue; on a closed loop h is cancelled
// instead, as nothing will ever run it.
func (l *Loop) schedule(h *Handle) {
	if l.closed.Load() {
		h.Cancel()
		return
	}
	l.ready.push(h)
}

// CallLater schedules fn to run after delay, at loop time Time()+delay as
// asyncio's call_later does: a negative delay is a deadline in the past, so
// the timer runs on the next iteration, before timers due later (a
// call_later(0) made before it included). Timers due at the same time run
// in the order they were scheduled.
func (l *Loop) CallLater(delay time.Duration, fn func()) *Handle {
	return l.CallAt(l.Time()+delay.Seconds(), fn)
}

// CallAt schedules fn at loop time when (seconds, as returned by Time).
// A NaN time means now.
func (l *Loop) CallAt(when float64, fn func()) *Handle {
	if math.IsNaN(when) {
		when = l.Time() // NaN would break the heap order
	}
	l.timerSeq++
	h := &Handle{fn: fn, loop: l, when: when, seq: l.timerSeq, timer: true}
	if l.closed.Load() {
		h.Cancel()
		return h
	}
	h.inHeap = true
	l.timers.push(h)
	return h
}

// timerCancelled accounts for a timer cancelled while still in the heap, and
// compacts the heap once cancelled handles are the majority, so cancelling
// many timers costs amortised O(1) and pins no memory.
func (l *Loop) timerCancelled() {
	l.cancelledTimers++
	l.compactTimers()
}

func (l *Loop) compactTimers() {
	n := len(l.timers)
	if n > minScheduledTimers && float64(l.cancelledTimers)/float64(n) > minCancelledTimerFraction {
		l.timers.removeCancelled()
		l.cancelledTimers = 0
	}
}

// liveTimers is the number of uncancelled timers waiting in the heap.
func (l *Loop) liveTimers() int { return len(l.timers) - l.cancelledTimers }

// Ref records one more thing that keeps the loop alive (an open transport, a
// serving server, a pending operation). Each Ref must be paired with Unref.
func (l *Loop) Ref() { l.refs++ }

// Unref releases a reference taken with Ref.
func (l *Loop) Unref() {
	if l.refs > 0 {
		l.refs--
	}
}

// Idle reports whether nothing keeps the loop alive: no ready callback, no
// live timer, no pending threadsafe call and no Ref.
func (l *Loop) Idle() bool {
	return l.ready.len() == 0 && l.liveTimers() == 0 && l.tsLen.Load() == 0 && l.refs == 0
}

// Stop makes the running loop return after the current iteration, as
// asyncio's loop.stop(). Safe from any goroutine. If the loop is not running,
// the next run stops after one iteration.
func (l *Loop) Stop() {
	l.stopping.Store(true)
	l.wakeup()
}

// IsRunning reports whether the loop is running.
func (l *Loop) IsRunning() bool { return l.running.Load() }

// SetDebug turns debug mode on or off.
// Turning it off forgets the sources recorded for reports (Handle.SetSource).
func (l *Loop) SetDebug(on bool) {
	l.debug = on
	if !on {
		l.sources, l.doneSources = nil, nil
	}
}

// GetDebug reports whether debug mode is on.
func (l *Loop) GetDebug() bool { return l.debug }

// SetSlowCallbackDuration sets how long a callback may run before debug mode
// reports it (asyncio's loop.slow_callback_duration = d); zero or a
// negative d restores DefaultSlowCallbackDuration.
func (l *Loop) SetSlowCallbackDuration(d time.Duration) {
	l.slow = cmp.Or(max(d, 0), DefaultSlowCallbackDuration)
}

// SlowCallbackDuration reports how long a callback may run before debug mode
// reports it.
func (l *Loop) SlowCallbackDuration() time.Duration { return l.slow }

// ReadBuffer returns the loop's shared read buffer (ReadBufferSize bytes).
// Transports read into it and hand protocols a slice of it that is valid only
// during the callback.
func (l *Loop) ReadBuffer() []byte {
	if l.readBuf == nil {
		l.readBuf = make([]byte, ReadBufferSize)
	}
	return l.readBuf
}
