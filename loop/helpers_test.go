package loop

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// watchdog is the upper bound on any single run in these tests; the runs
// themselves end on events, never on this timer, which only fires on a real
// hang.
const watchdog = 30 * time.Second

// newTestLoop returns a loop closed at the end of the test, whose default
// exception handler writes to the returned buffer.
func newTestLoop(t testing.TB) (*Loop, *testkit.SyncBuffer) {
	t.Helper()
	stderr := &testkit.SyncBuffer{}
	l, err := New(Options{Stderr: stderr})
	require.NoError(t, err, "New")
	t.Cleanup(func() {
		require.NoError(t, l.Close(), "Close")
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
	require.NoError(t, bounded(t, l, l.Run), "Run")
}

// runUntilComplete runs l until f is done (bounded by the watchdog) and
// returns RunUntilComplete's result.
func runUntilComplete(t testing.TB, l *Loop, f *Future) (any, error) {
	t.Helper()
	var v any
	err := bounded(t, l, func() error {
		var err error
		v, err = l.RunUntilComplete(f)
		return err
	})
	return v, err
}

// socketpair returns a connected pair of non-blocking Unix stream sockets,
// closed at the end of the test.
func socketpair(t testing.TB) (int, int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	require.NoError(t, err, "socketpair")
	t.Cleanup(func() {
		unix.Close(fds[0])
		unix.Close(fds[1])
	})
	for _, fd := range fds {
		require.NoError(t, unix.SetNonblock(fd, true), "set nonblock")
	}
	return fds[0], fds[1]
}

// write writes data to fd and fails the test unless all of it was written.
func write(t testing.TB, fd int, data string) {
	t.Helper()
	n, err := unix.Write(fd, []byte(data))
	require.NoError(t, err, "write to fd %d", fd)
	require.Equal(t, len(data), n, "bytes written to fd %d", fd)
}

// recorder collects the exception contexts a loop reports.
type recorder struct{ ctxs []ErrorContext }

// handle is an ExceptionHandler that records ctx.
func (r *recorder) handle(_ *Loop, ctx ErrorContext) { r.ctxs = append(r.ctxs, ctx) }
