package loop

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// readSome reads what is available on fd (at most size bytes) from a loop
// callback; a failed read is reported and reads nothing.
func readSome(t testing.TB, fd, size int) []byte {
	buf := make([]byte, size)
	n, err := unix.Read(fd, buf)
	if !assert.NoError(t, err, "read fd %d", fd) {
		return nil
	}
	return buf[:n]
}

// TestReaderFiresWhenDataArrives: a reader runs when its descriptor gets
// data, and reads it.
func TestReaderFiresWhenDataArrives(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	a, b := socketpair(t)
	var got []byte
	l.Ref()
	require.NoError(t, l.AddReader(a, func() {
		got = append(got, readSome(t, a, 64)...)
		if string(got) == "ping" {
			l.RemoveReader(a)
			l.Unref()
		}
	}))
	l.CallSoon(func() { unix.Write(b, []byte("ping")) })
	mustRun(t, l)
	require.Equal(t, "ping", string(got))
}

// TestWriterFiresOnWritableSocket: a writer runs when its descriptor is
// writable, once until removed.
func TestWriterFiresOnWritableSocket(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	a, b := socketpair(t)
	calls := 0
	l.Ref()
	require.NoError(t, l.AddWriter(a, func() {
		calls++
		unix.Write(a, []byte("hi"))
		assert.True(t, l.RemoveWriter(a), "RemoveWriter reported no writer")
		l.Unref()
	}))
	mustRun(t, l)
	buf := make([]byte, 8)
	n, err := unix.Read(b, buf)
	require.NoError(t, err, "the peer's read")
	require.Equal(t, 1, calls, "writer calls")
	require.Equal(t, "hi", string(buf[:n]), "what the peer read")
}

// TestRemovedReaderDoesNotFire leaves data unread on the descriptor: a
// level-triggered reader that was still registered would fire on each of
// the iterations that follow.
func TestRemovedReaderDoesNotFire(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	a, b := socketpair(t)
	calls := 0
	require.NoError(t, l.AddReader(a, func() { calls++ }))
	require.True(t, l.RemoveReader(a), "RemoveReader reported no reader")
	require.False(t, l.RemoveReader(a), "a second RemoveReader reported a reader")
	write(t, b, "unread")
	iterations := 0
	var spin func()
	spin = func() {
		if iterations++; iterations < 5 {
			l.CallSoon(spin)
		}
	}
	l.CallSoon(spin)
	mustRun(t, l)
	require.Zero(t, calls, "times the removed reader fired")
}

// TestLevelTriggeredReaderFiresUntilDrained: a reader that reads one byte
// a call is called again while data is left.
func TestLevelTriggeredReaderFiresUntilDrained(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	a, b := socketpair(t)
	write(t, b, "abc")
	var got []byte
	l.Ref()
	require.NoError(t, l.AddReader(a, func() {
		got = append(got, readSome(t, a, 1)...) // one byte per callback: the rest must re-fire
		if len(got) == 3 {
			l.RemoveReader(a)
			l.Unref()
		}
	}))
	mustRun(t, l)
	require.Equal(t, "abc", string(got))
}

// TestReaderAndWriterOnTheSameFd: a reader and a writer on one descriptor
// both run, and removing the writer keeps the reader.
func TestReaderAndWriterOnTheSameFd(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	a, b := socketpair(t)
	var events []string
	l.Ref()
	reader := func() {
		events = append(events, "read:"+string(readSome(t, a, 16)))
		l.RemoveReader(a)
		l.Unref()
	}
	writer := func() {
		events = append(events, "write")
		unix.Write(a, []byte("to-b"))
		l.RemoveWriter(a) // the reader must stay registered (EPOLL_CTL_MOD)
		// The peer answers once it got our bytes.
		l.CallSoon(func() {
			unix.Write(b, append([]byte("re:"), readSome(t, b, 16)...))
		})
	}
	require.NoError(t, l.AddReader(a, reader))
	require.NoError(t, l.AddWriter(a, writer))
	mustRun(t, l)
	require.Equal(t, []string{"write", "read:re:to-b"}, events)
}

// TestReplacingAReaderKeepsWatchingTheFd: a second AddReader replaces the
// first callback, and the descriptor stays watched.
func TestReplacingAReaderKeepsWatchingTheFd(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	a, b := socketpair(t)
	first, second := 0, 0
	require.NoError(t, l.AddReader(a, func() { first++ }))
	require.NoError(t, l.AddWriter(a, func() { l.RemoveWriter(a) }))
	require.NoError(t, l.AddReader(a, func() {
		second++
		readSome(t, a, 8)
		l.RemoveReader(a)
		l.Unref()
	}))
	l.Ref()
	write(t, b, "x")
	mustRun(t, l)
	require.Zero(t, first, "runs of the replaced reader")
	require.Equal(t, 1, second, "runs of the second reader")
}

// TestReaderRemovedEarlierInTheIterationDoesNotRun makes two descriptors
// ready at once; whichever reader runs first removes the other, which was
// already queued for the same iteration.
func TestReaderRemovedEarlierInTheIterationDoesNotRun(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	a1, b1 := socketpair(t)
	a2, b2 := socketpair(t)
	write(t, b1, "1")
	write(t, b2, "2")
	runs := 0
	require.NoError(t, l.AddReader(a1, func() { runs++; l.RemoveReader(a1); l.RemoveReader(a2) }))
	require.NoError(t, l.AddReader(a2, func() { runs++; l.RemoveReader(a1); l.RemoveReader(a2) }))
	l.CallSoon(func() {}) // one iteration, polled with both ready
	mustRun(t, l)
	require.Equal(t, 1, runs, "reader runs")
}

// TestReaderSeesPipeEOF: a reader runs when the pipe's write end is closed,
// and reads EOF.
func TestReaderSeesPipeEOF(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	var p [2]int
	require.NoError(t, unix.Pipe(p[:]))
	r, w := p[0], p[1]
	defer unix.Close(r)
	require.NoError(t, unix.SetNonblock(r, true))
	eof := false
	l.Ref()
	require.NoError(t, l.AddReader(r, func() {
		n, err := unix.Read(r, make([]byte, 8))
		if n == 0 && err == nil {
			eof = true
			l.RemoveReader(r)
			l.Unref()
		}
	}))
	l.CallSoon(func() { unix.Close(w) })
	mustRun(t, l)
	require.True(t, eof, "the reader did not see EOF")
}

// TestAddReaderArguments: a negative descriptor, a nil callback and the
// loop's own wakeup descriptor are refused, and removing an unknown
// descriptor reports nothing removed.
func TestAddReaderArguments(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	assert.Error(t, l.AddReader(-1, func() {}), "AddReader(-1)")
	assert.Error(t, l.AddWriter(3, nil), "AddWriter with a nil callback")
	assert.Error(t, l.AddReader(l.wake.rfd, func() {}), "AddReader on the wakeup fd")
	assert.False(t, l.RemoveWriter(1<<20), "RemoveWriter of an unknown fd reported a writer")
}
