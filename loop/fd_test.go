package loop

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestReaderFiresWhenDataArrives(t *testing.T) {
	l, _ := newTestLoop(t)
	a, b := socketpair(t)
	var got []byte
	l.Ref()
	err := l.AddReader(a, func() {
		buf := make([]byte, 64)
		n, err := unix.Read(a, buf)
		if err != nil {
			t.Errorf("read: %v", err)
		}
		got = append(got, buf[:n]...)
		if string(got) == "ping" {
			l.RemoveReader(a)
			l.Unref()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	l.CallSoon(func() { unix.Write(b, []byte("ping")) })
	mustRun(t, l)
	if string(got) != "ping" {
		t.Fatalf("read %q, want ping", got)
	}
}

func TestWriterFiresOnWritableSocket(t *testing.T) {
	l, _ := newTestLoop(t)
	a, b := socketpair(t)
	calls := 0
	l.Ref()
	if err := l.AddWriter(a, func() {
		calls++
		unix.Write(a, []byte("hi"))
		if !l.RemoveWriter(a) {
			t.Error("RemoveWriter reported no writer")
		}
		l.Unref()
	}); err != nil {
		t.Fatal(err)
	}
	mustRun(t, l)
	buf := make([]byte, 8)
	n, _ := unix.Read(b, buf)
	if calls != 1 || string(buf[:n]) != "hi" {
		t.Fatalf("writer calls = %d, peer read %q", calls, buf[:n])
	}
}

// TestRemovedReaderDoesNotFire leaves data unread on the descriptor: a
// level-triggered reader that was still registered would fire on each of
// the iterations that follow.
func TestRemovedReaderDoesNotFire(t *testing.T) {
	l, _ := newTestLoop(t)
	a, b := socketpair(t)
	calls := 0
	if err := l.AddReader(a, func() { calls++ }); err != nil {
		t.Fatal(err)
	}
	if !l.RemoveReader(a) {
		t.Fatal("RemoveReader reported no reader")
	}
	if l.RemoveReader(a) {
		t.Fatal("second RemoveReader reported a reader")
	}
	unix.Write(b, []byte("unread"))
	iterations := 0
	var spin func()
	spin = func() {
		if iterations++; iterations < 5 {
			l.CallSoon(spin)
		}
	}
	l.CallSoon(spin)
	mustRun(t, l)
	if calls != 0 {
		t.Fatalf("removed reader fired %d times", calls)
	}
}

func TestLevelTriggeredReaderFiresUntilDrained(t *testing.T) {
	l, _ := newTestLoop(t)
	a, b := socketpair(t)
	unix.Write(b, []byte("abc"))
	var got []byte
	l.Ref()
	l.AddReader(a, func() {
		buf := make([]byte, 1) // one byte per callback: the rest must re-fire
		n, _ := unix.Read(a, buf)
		got = append(got, buf[:n]...)
		if len(got) == 3 {
			l.RemoveReader(a)
			l.Unref()
		}
	})
	mustRun(t, l)
	if string(got) != "abc" {
		t.Fatalf("read %q, want abc", got)
	}
}

func TestReaderAndWriterOnTheSameFd(t *testing.T) {
	l, _ := newTestLoop(t)
	a, b := socketpair(t)
	var events []string
	l.Ref()
	reader := func() {
		buf := make([]byte, 16)
		n, _ := unix.Read(a, buf)
		events = append(events, "read:"+string(buf[:n]))
		l.RemoveReader(a)
		l.Unref()
	}
	writer := func() {
		events = append(events, "write")
		unix.Write(a, []byte("to-b"))
		l.RemoveWriter(a) // the reader must stay registered (EPOLL_CTL_MOD)
		// The peer answers once it got our bytes.
		l.CallSoon(func() {
			buf := make([]byte, 16)
			n, _ := unix.Read(b, buf)
			unix.Write(b, append([]byte("re:"), buf[:n]...))
		})
	}
	if err := l.AddReader(a, reader); err != nil {
		t.Fatal(err)
	}
	if err := l.AddWriter(a, writer); err != nil {
		t.Fatal(err)
	}
	mustRun(t, l)
	if len(events) != 2 || events[0] != "write" || events[1] != "read:re:to-b" {
		t.Fatalf("events = %v", events)
	}
}

func TestReplacingAReaderKeepsWatchingTheFd(t *testing.T) {
	l, _ := newTestLoop(t)
	a, b := socketpair(t)
	first, second := 0, 0
	l.AddReader(a, func() { first++ })
	l.AddWriter(a, func() { l.RemoveWriter(a) })
	l.AddReader(a, func() {
		second++
		unix.Read(a, make([]byte, 8))
		l.RemoveReader(a)
		l.Unref()
	})
	l.Ref()
	unix.Write(b, []byte("x"))
	mustRun(t, l)
	if first != 0 || second != 1 {
		t.Fatalf("first reader ran %d times, second %d; want 0, 1", first, second)
	}
}

// TestReaderRemovedEarlierInTheIterationDoesNotRun makes two descriptors
// ready at once; whichever reader runs first removes the other, which was
// already queued for the same iteration.
func TestReaderRemovedEarlierInTheIterationDoesNotRun(t *testing.T) {
	l, _ := newTestLoop(t)
	a1, b1 := socketpair(t)
	a2, b2 := socketpair(t)
	unix.Write(b1, []byte("1"))
	unix.Write(b2, []byte("2"))
	runs := 0
	l.AddReader(a1, func() { runs++; l.RemoveReader(a1); l.RemoveReader(a2) })
	l.AddReader(a2, func() { runs++; l.RemoveReader(a1); l.RemoveReader(a2) })
	l.CallSoon(func() {}) // one iteration, polled with both ready
	mustRun(t, l)
	if runs != 1 {
		t.Fatalf("readers ran %d times, want 1", runs)
	}
}

func TestReaderSeesPipeEOF(t *testing.T) {
	l, _ := newTestLoop(t)
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		t.Fatal(err)
	}
	r, w := p[0], p[1]
	defer unix.Close(r)
	unix.SetNonblock(r, true)
	eof := false
	l.Ref()
	l.AddReader(r, func() {
		n, err := unix.Read(r, make([]byte, 8))
		if n == 0 && err == nil {
			eof = true
			l.RemoveReader(r)
			l.Unref()
		}
	})
	l.CallSoon(func() { unix.Close(w) })
	mustRun(t, l)
	if !eof {
		t.Fatal("reader did not see EOF")
	}
}

func TestAddReaderArguments(t *testing.T) {
	l, _ := newTestLoop(t)
	if err := l.AddReader(-1, func() {}); err == nil {
		t.Error("AddReader(-1) succeeded")
	}
	if err := l.AddWriter(3, nil); err == nil {
		t.Error("AddWriter with a nil callback succeeded")
	}
	if err := l.AddReader(l.wake.rfd, func() {}); err == nil {
		t.Error("AddReader on the wakeup fd succeeded")
	}
	if l.RemoveWriter(1 << 20) {
		t.Error("RemoveWriter of an unknown fd reported a writer")
	}
}
