package runtime

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
)

// BenchmarkHostCallIdle measures one host call handed to the owner goroutine
// while the loop is not running.
func BenchmarkHostCallIdle(b *testing.B) {
	rt, err := New(Config{})
	require.NoError(b, err)
	defer rt.Close()
	b.ReportAllocs()
	for b.Loop() {
		require.NoError(b, rt.Predeclare("x", starlark.None))
	}
}

// BenchmarkHostCallRunning measures one host call delivered to the running
// loop through CallSoonThreadsafe.
func BenchmarkHostCallRunning(b *testing.B) {
	rt, err := New(Config{})
	require.NoError(b, err)
	defer rt.Close()
	ln, err := rt.Listen("tcp", "127.0.0.1:0", newGoEchoFactory("", nil)) // keeps Run busy
	require.NoError(b, err)
	defer ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rt.Run(ctx) }()
	b.ReportAllocs()
	for b.Loop() {
		require.NoError(b, rt.Predeclare("x", starlark.None))
	}
	b.StopTimer()
	cancel()
	require.NoError(b, <-done)
}

// BenchmarkCallerCopy measures how a module's protocol factory finds the
// copy of the loop calling it with several loops (once per connection).
func BenchmarkCallerCopy(b *testing.B) {
	rt, err := New(Config{Loops: 4})
	require.NoError(b, err)
	defer rt.Close()
	last := rt.copies[3]
	b.ReportAllocs()
	err = last.do(func() error {
		for b.Loop() {
			if rt.callerCopy() != last {
				return errors.New("wrong copy")
			}
		}
		return nil
	})
	require.NoError(b, err)
}
