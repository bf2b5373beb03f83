package loop

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func noop() {}

// BenchmarkCallSoon measures scheduling and dispatching one callback.
func BenchmarkCallSoon(b *testing.B) {
	l, _ := newTestLoop(b)
	const batch = 1024
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		l.CallSoon(noop)
		if i%batch == batch-1 {
			l.Run()
		}
	}
	l.Run()
}

// BenchmarkCallLaterCancel measures scheduling and cancelling a timer that
// never fires; heap compaction keeps the heap bounded.
func BenchmarkCallLaterCancel(b *testing.B) {
	l, _ := newTestLoop(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		l.CallLater(time.Hour, noop).Cancel()
	}
	b.StopTimer()
	require.LessOrEqual(b, len(l.timers), 2*minScheduledTimers+2, "cancelled handles in the heap")
}

// BenchmarkReaderDispatch bounces one byte across a socketpair through two
// AddReader callbacks; one op is a round trip (two dispatches, two reads,
// two writes).
func BenchmarkReaderDispatch(b *testing.B) {
	l, _ := newTestLoop(b)
	a, c := socketpair(b)
	buf := l.ReadBuffer()
	one := []byte{'x'}
	trips := 0
	l.Ref()
	l.AddReader(a, func() {
		unix.Read(a, buf)
		unix.Write(a, one)
	})
	l.AddReader(c, func() {
		unix.Read(c, buf)
		if trips++; trips >= b.N {
			l.RemoveReader(a)
			l.RemoveReader(c)
			l.Unref()
			return
		}
		unix.Write(c, one)
	})
	b.ReportAllocs()
	b.ResetTimer()
	unix.Write(c, one)
	require.NoError(b, l.Run())
}

// BenchmarkCallSoonThreadsafe measures other goroutines posting callbacks to
// a running loop.
func BenchmarkCallSoonThreadsafe(b *testing.B) {
	l, _ := newTestLoop(b)
	l.Ref()
	done := make(chan error)
	go func() { done <- l.Run() }()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if !assert.NoError(b, l.CallSoonThreadsafe(noop)) {
				return
			}
		}
	})
	l.CallSoonThreadsafe(l.Unref)
	require.NoError(b, <-done)
}
