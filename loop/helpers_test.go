package loop

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/starnet-dev/starnet/internal/testkit"
	"golang.org/x/sys/unix"
)

// watchdog is the upper bound on any single run in these tests; the runs
// themselves end on events, never on this timer.
const watchdog = 10 * time.Second

// newTestLoop returns a loop closed at the end of the test, whose default
// exception handler writes to the returned buffer.
func newTestLoop(t testing.TB) (*Loop, *testkit.SyncBuffer) {
	t.Helper()
	stderr := &testkit.SyncBuffer{}
	l, err := New(Options{Stderr: stderr})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return l, stderr
}

// bounded runs run (one of the loop's run methods) and fails the test if the
// watchdog had to stop it.
func bounded(t testing.TB, l *Loop, run func() error) error {
	t.Helper()
	var fired atomic.Bool
	timer := time.AfterFunc(watchdog, func() {
		fired.Store(true)
		l.Stop()
	})
	err := run()
	timer.Stop()
	if fired.Load() {
		t.Fatalf("loop still running after %v", watchdog)
	}
	return err
}

// mustRun runs l until idle or stopped and fails the test on error.
func mustRun(t testing.TB, l *Loop) {
	t.Helper()
	if err := bounded(t, l, l.Run); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// socketpair returns a connected pair of non-blocking Unix stream sockets,
// closed at the end of the test.
func socketpair(t testing.TB) (int, int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatalf("socketpair: %v", err)
	}
	for _, fd := range fds {
		if err := unix.SetNonblock(fd, true); err != nil {
			t.Fatalf("set nonblock: %v", err)
		}
	}
	t.Cleanup(func() {
		unix.Close(fds[0])
		unix.Close(fds[1])
	})
	return fds[0], fds[1]
}

// recorder collects the exception contexts a loop reports.
type recorder struct{ ctxs []ErrorContext }

func (r *recorder) handle(_ *Loop, ctx ErrorContext) { r.ctxs = append(r.ctxs, ctx) }

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
