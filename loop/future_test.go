package loop

import (
	"errors"
	"strings"
	"testing"
)

func TestFutureCallbacksRunInOrderThroughCallSoon(t *testing.T) {
	l, _ := newTestLoop(t)
	f := l.NewFuture()
	if f.Loop() != l {
		t.Fatal("Loop() is not the creating loop")
	}
	var got []int
	for i := range 5 {
		f.AddDoneCallback(func(g *Future) {
			if g != f {
				t.Error("callback got another future")
			}
			got = append(got, i)
		})
	}
	if err := f.SetResult("v"); err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatal("done callbacks ran synchronously")
	}
	mustRun(t, l)
	if !equalInts(got, []int{0, 1, 2, 3, 4}) {
		t.Fatalf("order = %v", got)
	}
}

func TestAddDoneCallbackAfterDoneSchedulesAtOnce(t *testing.T) {
	l, _ := newTestLoop(t)
	f := l.NewFuture()
	f.SetResult(1)
	var got []string
	l.CallSoon(func() { got = append(got, "earlier") })
	f.AddDoneCallback(func(*Future) { got = append(got, "done") })
	if len(got) != 0 {
		t.Fatal("callback ran synchronously")
	}
	mustRun(t, l)
	if len(got) != 2 || got[1] != "done" {
		t.Fatalf("ran %v, want done after earlier", got)
	}
}

func TestFutureStates(t *testing.T) {
	l, _ := newTestLoop(t)
	f := l.NewFuture()
	if f.Done() || f.Cancelled() {
		t.Fatal("new future is done")
	}
	if _, err := f.Result(); err != ErrInvalidState {
		t.Fatalf("Result of pending: %v", err)
	}
	if err := f.Exception(); err != ErrInvalidState {
		t.Fatalf("Exception of pending: %v", err)
	}
	if err := f.SetResult(7); err != nil {
		t.Fatal(err)
	}
	if v, err := f.Result(); v != 7 || err != nil || f.Exception() != nil {
		t.Fatalf("Result = %v, %v; Exception = %v", v, err, f.Exception())
	}
	if f.SetResult(8) != ErrInvalidState || f.SetException(errors.New("x")) != ErrInvalidState {
		t.Fatal("completing a done future did not fail with ErrInvalidState")
	}
	if f.Cancel() {
		t.Fatal("Cancel of a done future reported true")
	}

	g := l.NewFuture()
	boom := errors.New("boom")
	if err := g.SetException(nil); err == nil {
		t.Fatal("SetException(nil) succeeded")
	}
	if err := g.SetException(boom); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Result(); err != boom || g.Exception() != boom {
		t.Fatalf("Result err = %v, Exception = %v", err, g.Exception())
	}

	h := l.NewFuture()
	called := false
	h.AddDoneCallback(func(*Future) { called = true })
	if !h.Cancel() || !h.Cancelled() || !h.Done() {
		t.Fatal("Cancel of a pending future failed")
	}
	if h.Cancel() {
		t.Fatal("second Cancel reported true")
	}
	if _, err := h.Result(); err != ErrCancelled || h.Exception() != ErrCancelled {
		t.Fatalf("cancelled: Result err = %v, Exception = %v", err, h.Exception())
	}
	if h.SetResult(1) != ErrInvalidState {
		t.Fatal("SetResult on a cancelled future succeeded")
	}
	mustRun(t, l)
	if !called {
		t.Fatal("cancel did not schedule the done callbacks")
	}
}

// A failed future marked with LogUnretrieved is reported once by
// ReportUnretrieved unless Result or Exception was called; a repr
// (Outcome, String) does not count, a cancelled or successful future is not
// reported, marking after the failure counts too, and pruning the list keeps
// the unretrieved ones.
func TestReportUnretrieved(t *testing.T) {
	l, stderr := newTestLoop(t)
	fail := func(msg string) *Future {
		f := l.NewFuture()
		f.LogUnretrieved()
		f.LogUnretrieved() // twice: still one report
		if err := f.SetException(errors.New(msg)); err != nil {
			t.Fatal(err)
		}
		return f
	}
	fail("never looked at")
	fail("looked at with Result").Result()
	fail("looked at with Exception").Exception()
	peeked := fail("only printed")
	peeked.Outcome()
	_ = peeked.String()
	late := l.NewFuture()
	late.SetException(errors.New("marked after failing"))
	late.LogUnretrieved()
	unmarked := l.NewFuture()
	unmarked.SetException(errors.New("not marked"))
	ok := l.NewFuture()
	ok.LogUnretrieved()
	ok.SetResult(1)
	cancelled := l.NewFuture()
	cancelled.LogUnretrieved()
	cancelled.Cancel()
	for i := 0; i < 200; i++ { // past the pruning threshold, all retrieved
		fail("pruned").Exception()
	}

	if n := l.ReportUnretrieved(); n != 3 {
		t.Errorf("ReportUnretrieved() = %d, want 3", n)
	}
	out := stderr.String()
	for _, want := range []string{
		"Future exception was never retrieved",
		"never looked at",
		"only printed",
		"marked after failing",
		"future: <Future finished exception=only printed>",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	for _, unwanted := range []string{"looked at with", "not marked", "pruned"} {
		if strings.Contains(out, unwanted) {
			t.Errorf("report names %q:\n%s", unwanted, out)
		}
	}
	if n := l.ReportUnretrieved(); n != 0 {
		t.Errorf("a second ReportUnretrieved() = %d, want 0", n)
	}
}

// Past maxKeptUnretrieved unretrieved failures, the older half is reported
// on the next iteration instead of at the end, each future once.
func TestUnretrievedReportedEarlyPastTheBound(t *testing.T) {
	l, stderr := newTestLoop(t)
	total := maxKeptUnretrieved + 200
	for i := 0; i < total; i++ {
		f := l.NewFuture()
		f.LogUnretrieved()
		f.SetException(errors.New("dropped"))
	}
	if err := bounded(t, l, l.Run); err != nil {
		t.Fatal(err)
	}
	early := strings.Count(stderr.String(), "Future exception was never retrieved")
	if early == 0 || early >= total {
		t.Errorf("%d of %d reported early, want some but not all", early, total)
	}
	if n := l.ReportUnretrieved(); early+n != total {
		t.Errorf("%d early + %d at the end, want %d in all", early, n, total)
	}
}
