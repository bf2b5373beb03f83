// Package tests holds starnet's end-to-end tests: the CLI is built once, the
// example scripts run as subprocesses, and real peers (python3's socket and
// asyncio modules, socat, Go's net package) talk to them over 127.0.0.1.
package tests

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/stretchr/testify/require"
)

// starnetBin is the CLI built by TestMain.
var starnetBin string

// waitTimeout bounds every wait for a line, a connection or an exit: the
// one testkit's Process uses. It is generous: a passing test never waits
// this long.
const waitTimeout = testkit.WaitTimeout

// TestMain builds the CLI once for every test of the package.
func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

// buildAndRun builds the CLI into a temporary directory and runs the tests.
func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "starnet-e2e-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "temp dir: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	starnetBin = filepath.Join(dir, "starnet")
	build := exec.Command("go", "build", "-o", starnetBin, "../cmd/starnet")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build ../cmd/starnet: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// startScript runs `starnet ARGS...` from the repository root, so that
// script paths read "scripts/echo_server.star".
func startScript(t *testing.T, args ...string) *testkit.Process {
	t.Helper()
	cmd := exec.Command(starnetBin, args...)
	cmd.Dir = ".."
	return testkit.Start(t, "starnet "+strings.Join(args, " "), cmd)
}

// runScript runs starnet to completion and returns its exit code, stdout and stderr.
func runScript(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	p := startScript(t, args...)
	code = p.WaitExit(waitTimeout)
	return code, p.Stdout(), p.Stderr()
}

// listenAddr waits for p's "listening on HOST:PORT" line and returns HOST:PORT.
func listenAddr(t *testing.T, p *testkit.Process) string {
	t.Helper()
	return strings.TrimPrefix(p.WaitLine("listening on "), "listening on ")
}

// listenPort is listenAddr's port.
func listenPort(t *testing.T, p *testkit.Process) int {
	t.Helper()
	addr := listenAddr(t, p)
	i := strings.LastIndexByte(addr, ':')
	port, err := strconv.Atoi(addr[i+1:])
	if i < 0 || err != nil || port == 0 {
		t.Fatalf("%s: bad listening address %q", p.Name(), addr)
	}
	return port
}

// stopAndStderr ends a server that is still running with SIGTERM (which
// drains it: exit status 143) and returns its whole stderr. A test checks a
// running child's stderr this way: only once the child has exited has all
// it wrote been copied out of the pipe.
func stopAndStderr(t *testing.T, p *testkit.Process) string {
	t.Helper()
	p.Signal(syscall.SIGTERM)
	require.Equal(t, 143, p.WaitExit(waitTimeout), "exit status after SIGTERM")
	return p.Stderr()
}

// releasedPort returns a port of 127.0.0.1 that was just bound and released,
// so that connecting to it is refused.
func releasedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// countFDs returns the number of open file descriptors of process pid.
func countFDs(t *testing.T, pid int) int {
	t.Helper()
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	require.NoError(t, err, "count fds")
	return len(entries)
}

// describeFDs lists what process pid's descriptors point to, for failure messages.
func describeFDs(pid int) string {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, e := range entries {
		target, _ := os.Readlink(filepath.Join(dir, e.Name()))
		fmt.Fprintf(&b, "%s -> %s\n", e.Name(), target)
	}
	return b.String()
}

// waitFDs waits until process pid has want descriptors open (the server
// closes sockets when connection_lost runs, a loop iteration after the
// peer's close) and fails the test if that does not happen in time.
func waitFDs(t *testing.T, pid, want int) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		got := countFDs(t, pid)
		if got == want {
			return
		}
		if got < want {
			t.Fatalf("pid %d has %d descriptors open, fewer than the %d it started with:\n%s", pid, got, want, describeFDs(pid))
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d has %d descriptors open, want %d:\n%s", pid, got, want, describeFDs(pid))
		}
		time.Sleep(20 * time.Millisecond) // polling /proc: there is no event for a closed descriptor
	}
}

// vmRSS returns the resident set size of process pid in bytes.
func vmRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 3 && fields[0] == "VmRSS:" && fields[2] == "kB" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmRSS line")
}
