package runtime

import (
	"fmt"
	"math"
	goruntime "runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"sync"
	"time"
)

// NoMemoryLimit, as Config.MaxMemory, turns the memory watcher off.
// (MaxMemory 0 means DefaultMaxMemory(), not "no limit".)
const NoMemoryLimit uint64 = math.MaxUint64

// FallbackMaxMemory is the default limit where the machine's memory cannot
// be read.
const FallbackMaxMemory = 2 << 30

// memoryInterval is how often the watcher samples the heap while scripts
// run. Reading the metric is cheap (no stop-the-world).
const memoryInterval = 5 * time.Millisecond

// heapMetric is the memory the watcher compares with the limit: the bytes
// of heap objects, live or not yet swept. It includes garbage, so the
// watcher collects before it concludes the limit is passed.
const heapMetric = "/memory/classes/heap/objects:bytes"

// DefaultMaxMemory returns the limit Config.MaxMemory 0 stands for: half of
// the memory this process may use — the machine's physical memory, or its
// cgroup's memory.max when that is lower (Linux) — or FallbackMaxMemory when
// neither can be read. Half leaves the other half to the rest of the
// machine (and to the Go runtime's own overhead) so that a runaway script is
// stopped before the kernel's out-of-memory killer picks a victim, while a
// tool that legitimately works on a large data set is not cut short.
func DefaultMaxMemory() uint64 {
	if total := availableMemory(); total > 0 {
		return total / 2
	}
	return FallbackMaxMemory
}

// FormatMemorySize renders a byte count the way --max-memory takes it:
// "64MiB", "1.5GiB", "512KiB", "1000B".
func FormatMemorySize(n uint64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v, i := float64(n), 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if i == 0 {
		return strconv.FormatUint(n, 10) + "B"
	}
	s := strconv.FormatFloat(v, 'f', 1, 64)
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		s = s[:len(s)-2]
	}
	return s + units[i]
}

// MemoryError is returned by Run (and by an Exec or CallMain in progress)
// when the heap stayed over Config.MaxMemory after the Starlark code running
// at that moment was cancelled and the garbage collector ran: the memory is
// held by something that stays alive, such as a global. The runtime is
// closed by then, as by Close.
type MemoryError struct {
	// Limit is Config.MaxMemory in force (DefaultMaxMemory() for 0).
	Limit uint64
	// Heap is the heap in use (heap objects, in bytes) after the last
	// collection.
	Heap uint64
}

// Error names the flag and the figures.
func (e *MemoryError) Error() string {
	return fmt.Sprintf("MemoryError: the heap stayed over --max-memory=%s (%s in use after the running code was cancelled and memory collected; "+
		"it is held by live values, such as globals): run ended",
		FormatMemorySize(e.Limit), FormatMemorySize(e.Heap))
}

// memoryLimit converts Config.MaxMemory to the limit in bytes, 0 for none.
func (c Config) memoryLimit() uint64 {
	switch c.MaxMemory {
	case 0:
		return DefaultMaxMemory()
	case NoMemoryLimit:
		return 0
	default:
		return c.MaxMemory
	}
}

// memWatch is a runtime's memory watcher: one goroutine that, while Starlark
// code may run (Exec, CallMain, Run: see hold), samples the process's heap
// every memoryInterval. Every loop copy shares the one heap, so there is one
// watcher per Runtime, not per loop.
//
// When the heap passes the limit it collects and looks again; if it is
// still over, it cancels the Starlark code running on every loop at that
// moment (Env.CancelRunning: "MemoryError: the heap passed --max-memory=..."),
// waits until every loop has got past that code, and collects again. If the
// heap is still over, the memory is held by live values: the runtime is
// ended with a *MemoryError.
type memWatch struct {
	rt     *Runtime
	limit  uint64
	sample []metrics.Sample

	mu    sync.Mutex
	holds int
	held  chan struct{} // a token when holds goes from 0 to 1
	quit  chan struct{} // closed by stop
	once  sync.Once
}

// newMemWatch starts r's watcher; nil when the limit is off.
func newMemWatch(r *Runtime, limit uint64) *memWatch {
	if limit == 0 {
		return nil
	}
	w := &memWatch{
		rt:     r,
		limit:  limit,
		sample: []metrics.Sample{{Name: heapMetric}},
		held:   make(chan struct{}, 1),
		quit:   make(chan struct{}),
	}
	go w.watch()
	return w
}

// hold marks that Starlark code may run until the matching release; the
// watcher samples the heap (and Go's soft memory limit is set) while there
// is a hold. Nil-safe.
func (w *memWatch) hold() {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.holds++
	if w.holds == 1 {
		holdSoftLimit(w, w.limit)
		select {
		case w.held <- struct{}{}:
		default:
		}
	}
}

// release ends a hold. Nil-safe.
func (w *memWatch) release() {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.holds--
	if w.holds == 0 {
		releaseSoftLimit(w)
	}
}

// isHeld reports whether there is a hold.
func (w *memWatch) isHeld() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.holds > 0
}

// stop ends the watcher goroutine without waiting for it. Nil-safe; twice
// is harmless.
func (w *memWatch) stop() {
	if w == nil {
		return
	}
	w.once.Do(func() { close(w.quit) })
}

// heap reads the heap objects' size.
func (w *memWatch) heap() uint64 {
	metrics.Read(w.sample)
	if w.sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return w.sample[0].Value.Uint64()
}

// overAfterGC reports the heap, collecting first if it is over the limit,
// and whether it is over the limit after that.
func (w *memWatch) overAfterGC() (uint64, bool) {
	h := w.heap()
	if h <= w.limit {
		return h, false
	}
	goruntime.GC()
	h = w.heap()
	return h, h > w.limit
}

// watch is the watcher goroutine.
func (w *memWatch) watch() {
	for {
		select {
		case <-w.held:
		case <-w.quit:
			return
		}
		if !w.sampleWhileHeld() {
			return
		}
	}
}

// sampleWhileHeld samples every memoryInterval until there is no hold; it
// returns false when the watcher is done (stopped, or it ended the runtime).
func (w *memWatch) sampleWhileHeld() bool {
	tick := time.NewTicker(memoryInterval)
	defer tick.Stop()
	for w.isHeld() {
		select {
		case <-tick.C:
		case <-w.quit:
			return false
		}
		h, over := w.overAfterGC()
		if !over {
			continue
		}
		if !w.cancelRunning(h, tick) {
			return false
		}
		if h, over = w.overAfterGC(); over {
			w.rt.endForMemory(&MemoryError{Limit: w.limit, Heap: h})
			return false
		}
	}
	return true
}

// cancelRunning cancels the code running on every loop, then waits until
// each loop has run a job queued behind it, cancelling again on every tick
// that finds the heap still over the limit meanwhile (the code may have
// started a nested callback that cleared the first cancellation). It
// returns false if the watcher was stopped.
func (w *memWatch) cancelRunning(h uint64, tick *time.Ticker) bool {
	r := w.rt
	cancel := func(h uint64) {
		reason := fmt.Sprintf("MemoryError: the heap passed --max-memory=%s (%s in use)",
			FormatMemorySize(w.limit), FormatMemorySize(h))
		for _, c := range r.copies {
			c.env.CancelRunning(reason)
		}
	}
	cancel(h)
	jobs := make([]*job, len(r.copies))
	for i, c := range r.copies {
		jobs[i], _ = c.submit(func() error { return nil }) // nil once closing
	}
	for i, j := range jobs {
		if j == nil {
			continue
		}
		for waiting := true; waiting; {
			select {
			case <-j.done:
				waiting = false
			case <-r.copies[i].ownerDone:
				waiting = false
			case <-w.quit:
				return false
			case <-tick.C:
				// Only memory still live after a collection re-cancels: the
				// cancelled code's garbage must not cancel the callbacks
				// that run after it.
				if h, over := w.overAfterGC(); over {
					cancel(h)
				}
			}
		}
	}
	return true
}

// endForMemory ends the runtime because the heap stayed over the limit:
// Run (and an Exec or CallMain in progress) returns err, and the runtime is
// closed as by Close, which lets the scripts' memory go.
func (r *Runtime) endForMemory(err *MemoryError) {
	r.mu.Lock()
	if r.memErr == nil {
		r.memErr = err
	}
	r.mu.Unlock()
	_ = r.Close()
}

// memoryError returns the error that ended the runtime for memory, or nil.
func (r *Runtime) memoryError() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.memErr == nil {
		return nil
	}
	return r.memErr
}

// The soft memory limit (debug.SetMemoryLimit) is process-wide: while any
// watcher holds it, it is the lowest of their limits and the one the
// process had before (GOMEMLIMIT, or the host's own); when the last
// watcher lets go, the earlier value is restored.
var softLimit struct {
	mu     sync.Mutex
	saved  int64
	limits map[*memWatch]uint64
}

// holdSoftLimit lowers the soft memory limit to limit while w holds it.
func holdSoftLimit(w *memWatch, limit uint64) {
	softLimit.mu.Lock()
	defer softLimit.mu.Unlock()
	if len(softLimit.limits) == 0 {
		softLimit.saved = debug.SetMemoryLimit(-1)
		softLimit.limits = map[*memWatch]uint64{}
	}
	softLimit.limits[w] = limit
	applySoftLimit()
}

// releaseSoftLimit ends w's hold on the soft memory limit.
func releaseSoftLimit(w *memWatch) {
	softLimit.mu.Lock()
	defer softLimit.mu.Unlock()
	delete(softLimit.limits, w)
	if len(softLimit.limits) == 0 {
		debug.SetMemoryLimit(softLimit.saved)
		return
	}
	applySoftLimit()
}

// applySoftLimit sets the lowest limit held (softLimit.mu held).
func applySoftLimit() {
	lowest := softLimit.saved
	for _, l := range softLimit.limits {
		if l < math.MaxInt64 && int64(l) < lowest {
			lowest = int64(l)
		}
	}
	debug.SetMemoryLimit(lowest)
}
