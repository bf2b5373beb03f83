package loop

import (
	"os"
	"syscall"
	"testing"
)

func TestSignalHandlerRunsOnTheLoop(t *testing.T) {
	l, _ := newTestLoop(t)
	got := 0
	if err := l.AddSignalHandler(syscall.SIGUSR1, func() { t.Error("replaced handler ran") }); err != nil {
		t.Fatal(err)
	}
	if err := l.AddSignalHandler(syscall.SIGUSR1, func() {
		got++
		l.Stop()
	}); err != nil {
		t.Fatal(err)
	}
	l.CallSoon(func() {
		if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
			t.Errorf("kill: %v", err)
		}
	})
	if err := bounded(t, l, l.RunForever); err != nil {
		t.Fatal(err)
	}
	if got != 1 {
		t.Fatalf("handler ran %d times, want 1", got)
	}
	if !l.RemoveSignalHandler(syscall.SIGUSR1) {
		t.Fatal("RemoveSignalHandler reported no handler")
	}
	if l.RemoveSignalHandler(syscall.SIGUSR1) {
		t.Fatal("second RemoveSignalHandler reported a handler")
	}
}

func TestSignalHandlersDoNotKeepTheLoopAlive(t *testing.T) {
	l, _ := newTestLoop(t)
	if err := l.AddSignalHandler(syscall.SIGUSR2, func() {}); err != nil {
		t.Fatal(err)
	}
	if !l.Idle() {
		t.Fatal("a signal handler keeps the loop busy")
	}
	mustRun(t, l) // returns at once
}

func TestPanicInSignalHandlerIsReported(t *testing.T) {
	l, _ := newTestLoop(t)
	rec := &recorder{}
	l.SetExceptionHandler(rec.handle)
	l.AddSignalHandler(syscall.SIGUSR1, func() {
		l.Stop()
		panic("in handler")
	})
	l.CallSoon(func() { syscall.Kill(os.Getpid(), syscall.SIGUSR1) })
	if err := bounded(t, l, l.RunForever); err != nil {
		t.Fatal(err)
	}
	if len(rec.ctxs) != 1 || rec.ctxs[0].Message != "Exception in callback" {
		t.Fatalf("reports = %+v", rec.ctxs)
	}
}

func TestAddSignalHandlerArguments(t *testing.T) {
	l, _ := newTestLoop(t)
	for _, sig := range []syscall.Signal{0, -1, 200, syscall.SIGKILL, syscall.SIGSTOP} {
		if err := l.AddSignalHandler(sig, func() {}); err == nil {
			t.Errorf("AddSignalHandler(%d) succeeded", int(sig))
		}
	}
	if err := l.AddSignalHandler(syscall.SIGUSR1, nil); err == nil {
		t.Error("AddSignalHandler with a nil handler succeeded")
	}
}
