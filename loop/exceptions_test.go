package loop

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/starnet-dev/starnet/internal/testkit"
	"golang.org/x/sys/unix"
)

func TestPanicsInCallbacksAreReportedAndTheLoopContinues(t *testing.T) {
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
	f.SetResult(nil)
	l.Ref()
	l.AddReader(a, func() {
		l.RemoveReader(a)
		panic(errors.New("reader"))
	})
	l.AddWriter(a, func() {
		l.RemoveWriter(a)
		l.CallSoon(l.Unref)
		panic("writer")
	})
	unix.Write(b, []byte("x"))
	mustRun(t, l)

	if want := []string{"ready", "done-callback", "timer"}; strings.Join(after, ",") != strings.Join(want, ",") {
		t.Errorf("callbacks after the panics: %v, want %v", after, want)
	}
	seen := map[string]bool{}
	for _, ctx := range rec.ctxs {
		if ctx.Message != "Exception in callback" {
			t.Errorf("message = %q", ctx.Message)
		}
		var pe *PanicError
		if !errors.As(ctx.Err, &pe) {
			t.Fatalf("Err = %#v, want a *PanicError", ctx.Err)
		}
		if !strings.Contains(pe.Backtrace(), "goroutine") || !strings.Contains(pe.Stack, "exceptions_test.go") {
			t.Errorf("backtrace lacks the stack: %q", pe.Backtrace())
		}
		if _, ok := ctx.Extra["handle"].(*Handle); !ok {
			t.Errorf("Extra[handle] = %v", ctx.Extra["handle"])
		}
		seen[strings.TrimPrefix(pe.Error(), "panic: ")] = true
	}
	for _, want := range []string{"ready", "timer", "done-callback", "reader", "writer"} {
		if !seen[want] {
			t.Errorf("panic %q was not reported (got %v)", want, seen)
		}
	}
}

func TestPanicReportedByTheDefaultHandler(t *testing.T) {
	l, stderr := newTestLoop(t)
	l.CallSoon(func() { panic("kaboom") })
	mustRun(t, l)
	out := stderr.String()
	for _, want := range []string{"Exception in callback\n", "panic: kaboom", "goroutine ", "handle: <Handle "} {
		if !strings.Contains(out, want) {
			t.Errorf("stderr lacks %q:\n%s", want, out)
		}
	}
}

func TestPanickingExceptionHandlerFallsBackToTheDefault(t *testing.T) {
	l, stderr := newTestLoop(t)
	l.SetExceptionHandler(func(*Loop, ErrorContext) { panic("handler broke") })
	l.CallSoon(func() { panic("original") })
	ran := false
	l.CallSoon(func() { ran = true })
	mustRun(t, l)
	out := stderr.String()
	for _, want := range []string{"Unhandled error in exception handler", "panic: handler broke", "context:", "    Exception in callback", "    panic: original"} {
		if !strings.Contains(out, want) {
			t.Errorf("stderr lacks %q:\n%s", want, out)
		}
	}
	if !ran {
		t.Error("loop did not continue")
	}

	stderr2 := &testkit.SyncBuffer{}
	l.stderr = stderr2
	l.SetExceptionHandler(nil)
	l.CallExceptionHandler(ErrorContext{Message: "back to default"})
	if !strings.Contains(stderr2.String(), "back to default") {
		t.Errorf("SetExceptionHandler(nil) did not restore the default: %q", stderr2.String())
	}
}

type traced struct{}

func (traced) Error() string { return "plain error text" }
func (traced) Backtrace() string {
	return "Traceback (most recent call last):\n  script.star:3\nError: x"
}

func TestDefaultExceptionHandlerFormat(t *testing.T) {
	l, stderr := newTestLoop(t)
	l.DefaultExceptionHandler(ErrorContext{
		Message:   "Fatal error on transport",
		Err:       errors.New("connection reset"),
		Transport: "T",
		Protocol:  "P",
		Extra:     map[string]any{"socket": 5, "future": "F"},
	})
	want := "Fatal error on transport\nconnection reset\ntransport: T\nprotocol: P\nfuture: F\nsocket: 5\n"
	if got := stderr.String(); got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}

	l2, stderr2 := newTestLoop(t)
	l2.DefaultExceptionHandler(ErrorContext{Message: "m", Err: traced{}})
	if got := stderr2.String(); got != "m\nTraceback (most recent call last):\n  script.star:3\nError: x\n" {
		t.Fatalf("backtrace not used:\n%s", got)
	}
}

func TestDebugModeReportsSlowCallbacks(t *testing.T) {
	l, _ := newTestLoop(t)
	rec := &recorder{}
	l.SetExceptionHandler(rec.handle)
	l.SetDebug(true)
	if !l.GetDebug() {
		t.Fatal("GetDebug() = false after SetDebug(true)")
	}
	slow := func() { time.Sleep(DefaultSlowCallbackDuration + 20*time.Millisecond) } // the callback under test
	l.CallSoon(slow)
	mustRun(t, l)
	if len(rec.ctxs) != 1 {
		t.Fatalf("got %d reports, want 1", len(rec.ctxs))
	}
	msg := rec.ctxs[0].Message
	if !regexp.MustCompile(`^Executing <Handle .+\(\) at .+exceptions_test.go:\d+> took \d+\.\d{3} seconds$`).MatchString(msg) {
		t.Fatalf("message = %q", msg)
	}

	l.SetDebug(false)
	l.CallSoon(slow)
	mustRun(t, l)
	if len(rec.ctxs) != 1 {
		t.Fatalf("slow callback reported with debug off: %v", rec.ctxs[1:])
	}
}

func TestDebugOptionTurnsDebugOn(t *testing.T) {
	l, err := New(Options{Debug: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if !l.GetDebug() {
		t.Fatal("Options.Debug ignored")
	}
}

func TestHandleString(t *testing.T) {
	l, _ := newTestLoop(t)
	h := l.CallLater(time.Hour, namedCallback)
	if s := h.String(); !strings.HasPrefix(s, "<TimerHandle when=") || !strings.Contains(s, "loop.namedCallback() at ") {
		t.Fatalf("String() = %q", s)
	}
	h.Cancel()
	if s := h.String(); !strings.HasSuffix(s, " cancelled>") {
		t.Fatalf("String() of a cancelled handle = %q", s)
	}
}

func namedCallback() {}
