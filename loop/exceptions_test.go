package loop

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPanicsInCallbacksAreReportedAndTheLoopContinues: a panic in a ready
// callback, a timer, a done callback, a reader or a writer is reported once
// through the exception handler as "Exception in callback" with a
// *PanicError that carries the stack and the handle, and the callbacks
// queued after it still run.
func TestPanicsInCallbacksAreReportedAndTheLoopContinues(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	rec := &recorder{}
	l.SetExceptionHandler(rec.handle)
	a, b := socketpair(t)
	f := l.NewFuture()
	var after []string

	l.CallSoon(func() { panic("ready") })
	l.CallSoon(func() { after = append(after, "ready") })
	l.CallLater(time.Millisecond, func() { panic("timer") })
	l.CallLater(time.Millisecond, func() { after = append(after, "timer") })
	f.AddDoneCallback(func(*Future) { panic("done-callback") })
	f.AddDoneCallback(func(*Future) { after = append(after, "done-callback") })
	require.NoError(t, f.SetResult(nil))
	l.Ref()
	require.NoError(t, l.AddReader(a, func() {
		l.RemoveReader(a)
		panic(errors.New("reader"))
	}))
	require.NoError(t, l.AddWriter(a, func() {
		l.RemoveWriter(a)
		l.CallSoon(l.Unref)
		panic("writer")
	}))
	write(t, b, "x")
	mustRun(t, l)

	require.Equal(t, []string{"ready", "done-callback", "timer"}, after, "callbacks after the panics")
	var panics []string
	for _, ctx := range rec.ctxs {
		assert.Equal(t, "Exception in callback", ctx.Message)
		var pe *PanicError
		require.ErrorAs(t, ctx.Err, &pe)
		assert.Contains(t, pe.Backtrace(), "goroutine", "the backtrace lacks the stack")
		assert.Contains(t, pe.Stack, "exceptions_test.go", "the stack lacks the callback")
		assert.IsType(t, (*Handle)(nil), ctx.Extra["handle"], "Extra[handle]")
		panics = append(panics, strings.TrimPrefix(pe.Error(), "panic: "))
	}
	assert.ElementsMatch(t, []string{"ready", "timer", "done-callback", "reader", "writer"}, panics,
		"the panics reported (each once, in the order their callbacks ran)")
}

// TestPanicReportedByTheDefaultHandler: without a handler of its own, a
// panic is written to the loop's Stderr with its message, stack and handle.
func TestPanicReportedByTheDefaultHandler(t *testing.T) {
	t.Parallel()
	l, stderr := newTestLoop(t)
	l.CallSoon(func() { panic("kaboom") })
	mustRun(t, l)
	out := stderr.String()
	for _, want := range []string{"Exception in callback\n", "panic: kaboom", "goroutine ", "handle: <Handle "} {
		assert.Contains(t, out, want)
	}
}

// TestPanickingExceptionHandlerFallsBackToTheDefault: a handler that panics
// is reported by the default handler together with the context it was
// given, the loop goes on, and SetExceptionHandler(nil) restores the
// default.
func TestPanickingExceptionHandlerFallsBackToTheDefault(t *testing.T) {
	t.Parallel()
	l, stderr := newTestLoop(t)
	l.SetExceptionHandler(func(*Loop, ErrorContext) { panic("handler broke") })
	l.CallSoon(func() { panic("original") })
	ran := false
	l.CallSoon(func() { ran = true })
	mustRun(t, l)
	out := stderr.String()
	for _, want := range []string{"Unhandled error in exception handler", "panic: handler broke", "context:", "    Exception in callback", "    panic: original"} {
		assert.Contains(t, out, want)
	}
	assert.True(t, ran, "the loop did not continue")

	stderr2 := &testkit.SyncBuffer{}
	l.stderr = stderr2
	l.SetExceptionHandler(nil)
	l.CallExceptionHandler(ErrorContext{Message: "back to default"})
	assert.Contains(t, stderr2.String(), "back to default", "SetExceptionHandler(nil) did not restore the default")
}

// traced is an error with a Backtrace, as a Starlark error has.
type traced struct{}

func (traced) Error() string { return "plain error text" }
func (traced) Backtrace() string {
	return "Traceback (most recent call last):\n  script.star:3\nError: x"
}

// TestDefaultExceptionHandlerFormat: the default handler writes the
// message, the error (its Backtrace when it has one instead of its text),
// the transport, the protocol and the extras in name order, one a line.
func TestDefaultExceptionHandlerFormat(t *testing.T) {
	t.Parallel()
	l, stderr := newTestLoop(t)
	l.DefaultExceptionHandler(ErrorContext{
		Message:   "Fatal error on transport",
		Err:       errors.New("connection reset"),
		Transport: "T",
		Protocol:  "P",
		Extra:     map[string]any{"socket": 5, "future": "F"},
	})
	require.Equal(t, "Fatal error on transport\nconnection reset\ntransport: T\nprotocol: P\nfuture: F\nsocket: 5\n", stderr.String())

	l2, stderr2 := newTestLoop(t)
	l2.DefaultExceptionHandler(ErrorContext{Message: "m", Err: traced{}})
	require.Equal(t, "m\nTraceback (most recent call last):\n  script.star:3\nError: x\n", stderr2.String(), "the backtrace is not used")
}

// slowCallbackMessage is debug mode's report of a slow callback defined in
// this file.
const slowCallbackMessage = `^Executing <Handle .+\(\) at .+exceptions_test.go:\d+> took \d+\.\d{3} seconds$`

// TestDebugModeReportsSlowCallbacks: in debug mode a callback that runs
// longer than the slow-callback duration is reported once, with asyncio's
// message; the same callback is not reported once the threshold is far
// above its run time, nor with debug mode off. The threshold is tiny and the
// slow callback sleeps past it (then an hour, which it certainly stays
// under), so the outcome does not depend on the machine's speed.
func TestDebugModeReportsSlowCallbacks(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	rec := &recorder{}
	l.SetExceptionHandler(rec.handle)
	l.SetDebug(true)
	require.True(t, l.GetDebug(), "GetDebug() after SetDebug(true)")
	const threshold = time.Millisecond
	l.SetSlowCallbackDuration(threshold)
	require.Equal(t, threshold, l.SlowCallbackDuration())
	slow := func() { time.Sleep(2 * threshold) } // the callback under test
	l.CallSoon(slow)
	mustRun(t, l)
	require.Len(t, rec.ctxs, 1, "reports of one slow callback")
	require.Regexp(t, slowCallbackMessage, rec.ctxs[0].Message)

	l.SetSlowCallbackDuration(time.Hour)
	l.CallSoon(slow)
	mustRun(t, l)
	require.Len(t, rec.ctxs, 1, "a callback faster than the threshold was reported")

	l.SetSlowCallbackDuration(threshold)
	l.SetDebug(false)
	l.CallSoon(slow)
	mustRun(t, l)
	require.Len(t, rec.ctxs, 1, "a slow callback was reported with debug off")
}

// TestDebugOptions: Options.Debug turns debug mode on,
// Options.SlowCallbackDuration sets its threshold (zero means
// DefaultSlowCallbackDuration), and SetSlowCallbackDuration with zero or a
// negative duration restores the default.
func TestDebugOptions(t *testing.T) {
	t.Parallel()
	l, err := New(Options{Debug: true, SlowCallbackDuration: time.Millisecond})
	require.NoError(t, err)
	defer l.Close()
	rec := &recorder{}
	l.SetExceptionHandler(rec.handle)
	require.True(t, l.GetDebug(), "Options.Debug ignored")
	require.Equal(t, time.Millisecond, l.SlowCallbackDuration())
	l.CallSoon(func() { time.Sleep(2 * time.Millisecond) })
	mustRun(t, l)
	require.Len(t, rec.ctxs, 1, "reports of one slow callback")
	require.Regexp(t, slowCallbackMessage, rec.ctxs[0].Message)

	l.SetSlowCallbackDuration(0)
	require.Equal(t, DefaultSlowCallbackDuration, l.SlowCallbackDuration(), "after SetSlowCallbackDuration(0)")
	l.SetSlowCallbackDuration(time.Second)
	l.SetSlowCallbackDuration(-time.Second)
	require.Equal(t, DefaultSlowCallbackDuration, l.SlowCallbackDuration(), "after SetSlowCallbackDuration(-1s)")

	plain, _ := newTestLoop(t)
	require.False(t, plain.GetDebug(), "debug mode on by default")
	require.Equal(t, DefaultSlowCallbackDuration, plain.SlowCallbackDuration(), "the default threshold")
}

// TestHandleString: a timer handle's repr names its deadline and callback,
// and says when it is cancelled.
func TestHandleString(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	h := l.CallLater(time.Hour, namedCallback)
	s := h.String()
	require.True(t, strings.HasPrefix(s, "<TimerHandle when="), "String() = %q", s)
	require.Contains(t, s, "loop.namedCallback() at ")
	h.Cancel()
	s = h.String()
	require.True(t, strings.HasSuffix(s, " cancelled>"), "String() of a cancelled handle = %q", s)
}

func namedCallback() {}
