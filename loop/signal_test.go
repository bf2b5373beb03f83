package loop

import (
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tests in this file install process-wide signal handlers and send
// signals to the whole process: they must not run in parallel.

// TestSignalHandlerRunsOnTheLoop: a signal handler runs on the loop once
// per signal, a second AddSignalHandler replaces the first, and
// RemoveSignalHandler reports whether there was one.
func TestSignalHandlerRunsOnTheLoop(t *testing.T) {
	l, _ := newTestLoop(t)
	got := 0
	require.NoError(t, l.AddSignalHandler(syscall.SIGUSR1, func() { assert.Fail(t, "the replaced handler ran") }))
	require.NoError(t, l.AddSignalHandler(syscall.SIGUSR1, func() {
		got++
		l.Stop()
	}))
	l.CallSoon(func() {
		assert.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGUSR1), "kill")
	})
	require.NoError(t, bounded(t, l, l.RunForever))
	require.Equal(t, 1, got, "times the handler ran")
	require.True(t, l.RemoveSignalHandler(syscall.SIGUSR1), "RemoveSignalHandler reported no handler")
	require.False(t, l.RemoveSignalHandler(syscall.SIGUSR1), "a second RemoveSignalHandler reported a handler")
}

// TestSignalHandlersDoNotKeepTheLoopAlive: a loop whose only work is a
// signal handler is idle, and Run returns at once.
func TestSignalHandlersDoNotKeepTheLoopAlive(t *testing.T) {
	l, _ := newTestLoop(t)
	require.NoError(t, l.AddSignalHandler(syscall.SIGUSR2, func() {}))
	require.True(t, l.Idle(), "a signal handler keeps the loop busy")
	mustRun(t, l) // returns at once
}

// TestPanicInSignalHandlerIsReported: a panic in a signal handler is
// reported once as "Exception in callback".
func TestPanicInSignalHandlerIsReported(t *testing.T) {
	l, _ := newTestLoop(t)
	rec := &recorder{}
	l.SetExceptionHandler(rec.handle)
	require.NoError(t, l.AddSignalHandler(syscall.SIGUSR1, func() {
		l.Stop()
		panic("in handler")
	}))
	l.CallSoon(func() {
		assert.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGUSR1), "kill")
	})
	require.NoError(t, bounded(t, l, l.RunForever))
	require.Len(t, rec.ctxs, 1, "reports")
	require.Equal(t, "Exception in callback", rec.ctxs[0].Message)
}

// TestAddSignalHandlerArguments: signals that cannot be handled and a nil
// handler are refused.
func TestAddSignalHandlerArguments(t *testing.T) {
	l, _ := newTestLoop(t)
	for _, sig := range []syscall.Signal{0, -1, 200, syscall.SIGKILL, syscall.SIGSTOP} {
		assert.Error(t, l.AddSignalHandler(sig, func() {}), "AddSignalHandler(%d)", int(sig))
	}
	assert.Error(t, l.AddSignalHandler(syscall.SIGUSR1, nil), "AddSignalHandler with a nil handler")
}

// TestOnSignalArrivalRunsWhileACallbackRuns: the arrival hook sees a signal
// while a callback still runs (the callback waits for the hook, which it
// could not do if the hook needed the loop), and the handler runs after.
func TestOnSignalArrivalRunsWhileACallbackRuns(t *testing.T) {
	l, _ := newTestLoop(t)
	arrived := make(chan syscall.Signal, 1)
	l.OnSignalArrival(func(sig syscall.Signal) { arrived <- sig })
	handled := false
	require.NoError(t, l.AddSignalHandler(syscall.SIGUSR2, func() { handled = true; l.Stop() }))
	var seen syscall.Signal
	l.CallSoon(func() {
		require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGUSR2))
		select {
		case seen = <-arrived:
		case <-time.After(watchdog):
		}
	})
	require.NoError(t, bounded(t, l, l.RunForever))
	assert.Equal(t, syscall.SIGUSR2, seen, "the hook saw the signal during the callback")
	assert.True(t, handled, "the handler ran afterwards")
	l.OnSignalArrival(nil)
	require.True(t, l.RemoveSignalHandler(syscall.SIGUSR2))
}
