package transports

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/starnet-dev/starnet/loop"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// emfileChildEnv makes the test binary run emfileChild instead of the tests:
// the scenario lowers RLIMIT_NOFILE and exhausts descriptors, which must not
// happen in the process running the other tests.
const emfileChildEnv = "STARNET_TRANSPORTS_EMFILE_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(emfileChildEnv) == "1" {
		if err := emfileChild(); err != nil {
			fmt.Println("FAIL:", err)
			os.Exit(1)
		}
		fmt.Println("ok")
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// When accept(2) fails with EMFILE the server reports it, stops accepting for
// AcceptRetryDelay without closing the listener, and then accepts the
// connection that waited in the kernel's queue.
func TestAcceptEMFILERetry(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), emfileChildEnv+"=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "child: %v\n%s", err, out)
	require.Equal(t, "ok", strings.TrimSpace(string(out)), "child: %v\n%s", err, out)
}

func emfileChild() error {
	l, err := loop.New(loop.Options{})
	if err != nil {
		return err
	}
	defer l.Close()
	var reports []loop.ErrorContext
	var spare []int // descriptors held to exhaust the table
	var srv *Server
	retryArmed := false
	l.SetExceptionHandler(func(_ *loop.Loop, ctx loop.ErrorContext) {
		reports = append(reports, ctx)
		l.CallSoon(func() { retryArmed = srv.listeners[0].retry != nil })
		if len(spare) > 0 { // make room for the retry
			unix.Close(spare[0])
			spare = spare[1:]
		}
	})
	made := l.NewFuture()
	srvFut := CreateServer(l, func() (BaseProtocol, error) {
		r := newRecorder(l)
		r.onMade = func(*recorder) { _ = made.SetResult(nil) }
		return r, nil
	}, "127.0.0.1", 0, ListenOptions{})
	v, err := l.RunUntilComplete(srvFut)
	if err != nil {
		return err
	}
	srv = v.(*Server)
	// The client connects before the table is full; the connection waits in
	// the listen queue.
	client, err := net.Dial("tcp", srv.Addrs()[0].String())
	if err != nil {
		return err
	}
	defer client.Close()

	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &unix.Rlimit{Cur: 512, Max: 512}); err != nil {
		return fmt.Errorf("setrlimit: %w", err)
	}
	for {
		fd, err := unix.Dup(0)
		if err != nil {
			if err != unix.EMFILE {
				return fmt.Errorf("dup: %w", err)
			}
			break
		}
		spare = append(spare, fd)
	}
	watchdog := time.AfterFunc(20*time.Second, l.Stop)
	_, err = l.RunUntilComplete(made)
	watchdog.Stop()
	for _, fd := range spare {
		unix.Close(fd)
	}
	if err != nil {
		return fmt.Errorf("connection never accepted: %v (reports %v)", err, reports)
	}
	if len(reports) == 0 {
		return fmt.Errorf("accept's EMFILE was not reported")
	}
	// Linux allocates the descriptor before looking at the queue, so the
	// accept after the successful one can fail with EMFILE again.
	for _, r := range reports {
		if r.Message != "socket.accept() out of system resource" {
			return fmt.Errorf("reports %v", reports)
		}
	}
	var e *Error
	if !errors.As(reports[0].Err, &e) || e.Errno != syscall.EMFILE {
		return fmt.Errorf("reported error %v", reports[0].Err)
	}
	if _, ok := reports[0].Extra["socket"].(*Socket); !ok {
		return fmt.Errorf("report without the socket: %v", reports[0].Extra)
	}
	if !retryArmed {
		return fmt.Errorf("no retry timer after the report")
	}
	if !srv.IsServing() || len(srv.Sockets()) != 1 {
		return fmt.Errorf("listener dropped")
	}
	srv.Close()
	return nil
}
