package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testTimeout bounds every wait; it is a failure guard, not a timing
// assertion: testkit's own bound.
const testTimeout = testkit.WaitTimeout

// starnetBin is the binary built once by TestMain.
var starnetBin string

// TestMain builds the binary once for every test of the package.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "starnet-cli-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	starnetBin = filepath.Join(dir, "starnet")
	build := exec.Command("go", "build", "-o", starnetBin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is a finished starnet process.
type result struct {
	code           int
	stdout, stderr string
}

// startStarnet starts the binary with args as a test peer.
func startStarnet(t *testing.T, args ...string) *testkit.Process {
	t.Helper()
	return testkit.Start(t, "starnet "+strings.Join(args, " "), exec.Command(starnetBin, args...))
}

// runStarnet runs the binary to completion.
func runStarnet(t *testing.T, args ...string) result {
	t.Helper()
	p := startStarnet(t, args...)
	code := p.WaitExit(testTimeout)
	return result{code: code, stdout: p.Stdout(), stderr: p.Stderr()}
}

// script writes a script file and returns its path.
func script(t *testing.T, name, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(src), 0o644))
	return path
}

// TestVersion: `starnet version` names starnet and the Go release.
func TestVersion(t *testing.T) {
	t.Parallel()
	r := runStarnet(t, "version")
	require.Equal(t, 0, r.code, "version: %+v", r)
	require.True(t, strings.HasPrefix(r.stdout, "starnet "), "version: %+v", r)
	require.Contains(t, r.stdout, "go1.")
}

// TestUsageErrors: a bad command line exits 2 with the usage text.
func TestUsageErrors(t *testing.T) {
	t.Parallel()
	good := script(t, "ok.star", "x = 1\n")
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"run"},
		{"run", "--allow-nett", good},
		{"run", "--loops"},
		{"run", "--loops", "zero", good},
		{"run", "--max-steps=-1", good},
		{"run", "--allow-net=", good},
		{"run", "--allow-env=HOME,,TERM", good},
		{"check"},
	} {
		r := runStarnet(t, args...)
		assert.Equal(t, 2, r.code, "starnet %q: exit status", args)
		assert.Regexp(t, `^starnet: .+\nRun 'starnet( run| check)? --help' for usage\.\n$`, r.stderr, "starnet %q: one error line and where the usage is", args)
	}
}

// TestTopLevelFailure: an error at the top level exits 1 with a traceback
// naming both frames.
func TestTopLevelFailure(t *testing.T) {
	t.Parallel()
	path := script(t, "fail.star", "def f(x):\n    return x // 0\n\nf(1)\nprint(\"unreachable\")\n")
	r := runStarnet(t, "run", path)
	require.Equal(t, 1, r.code, "exit status: %+v", r)
	for _, want := range []string{"Traceback", path + ":4:2", path + ":2:14", "division by zero"} {
		assert.Contains(t, r.stderr, want)
	}
	assert.Empty(t, r.stdout, "stdout")
}

// TestMainFailureAndArgs: main(argv) gets the script's arguments, flags
// after the script included, and its failure exits 1.
func TestMainFailureAndArgs(t *testing.T) {
	t.Parallel()
	path := script(t, "main.star", "def main(argv):\n    print(argv)\n    fail(\"main failed\")\n")
	r := runStarnet(t, "run", path, "a", "--not-a-flag", "b")
	assert.Equal(t, 1, r.code, "exit status")
	assert.Equal(t, "[\"a\", \"--not-a-flag\", \"b\"]\n", r.stdout)
	assert.Contains(t, r.stderr, path+":3:")
}

// TestExitCode: exit(N), from a callback or at the top level, is the exit
// status.
func TestExitCode(t *testing.T) {
	t.Parallel()
	r := runStarnet(t, "run", script(t, "exit.star", "loop.call_later(0.01, lambda: exit(3))\n"))
	require.Equal(t, 3, r.code, "exit status: %+v", r)
	r = runStarnet(t, "run", script(t, "exit.star", "exit(5)\nprint(\"after\")\n"))
	require.Equal(t, 5, r.code, "exit at top level: %+v", r)
	require.Empty(t, r.stdout, "exit at top level: stdout")
}

// TestExitWhenIdle: once main has returned and its timer has run, starnet
// exits 0.
func TestExitWhenIdle(t *testing.T) {
	t.Parallel()
	r := runStarnet(t, "run", "--max-steps", "0", script(t, "idle.star", `
def main(argv):
    loop.call_later(0.02, lambda: print("done", argv))
`), "x")
	require.Equal(t, 0, r.code, "exit status: %+v", r)
	require.Equal(t, "done [\"x\"]\n", r.stdout)
}

// TestMaxSteps: --max-steps bounds the Starlark steps of a call; 0 lifts
// the bound.
func TestMaxSteps(t *testing.T) {
	t.Parallel()
	src := "def spin():\n    n = 0\n    for i in range(1000000):\n        n += i\n    return n\nprint(spin())\n"
	path := script(t, "spin.star", src)
	r := runStarnet(t, "run", "--max-steps=1000", path)
	require.Equal(t, 1, r.code, "--max-steps=1000: %+v", r)
	r = runStarnet(t, "run", "--max-steps=0", path)
	require.Equal(t, 0, r.code, "--max-steps=0: %+v", r)
	require.Equal(t, "499999500000\n", r.stdout, "--max-steps=0")
}

// TestPermissionFlags: every spelling of a --allow-net that covers the
// address lets the script connect; none, or one for another host, does not.
// With --debug only stdout is compared: a loaded machine may add debug
// mode's slow-callback reports to stderr.
func TestPermissionFlags(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	path := script(t, "connect.star", fmt.Sprintf(`
tr, p = loop.run_until_complete(loop.create_connection(lambda: struct(), "127.0.0.1", %d))
tr.close()
print("connected")
`, port))
	r := runStarnet(t, "run", path)
	assert.Equal(t, 1, r.code, "without --allow-net: exit status")
	assert.Contains(t, r.stderr, "--allow-net", "without --allow-net")
	for _, flags := range [][]string{
		{"--allow-net"},
		{"-A"},
		{"--allow-all"},
		{fmt.Sprintf("--allow-net=example.com,127.0.0.1:%d", port)},
		{"--allow-net=127.0.0.1", "--debug", "--loops", "1"},
	} {
		args := append(append([]string{"run"}, flags...), path)
		r := runStarnet(t, args...)
		assert.Equal(t, 0, r.code, "starnet %q: exit status; stderr:\n%s", args, r.stderr)
		assert.Equal(t, "connected\n", r.stdout, "starnet %q", args)
	}
	r = runStarnet(t, "run", "--allow-net=10.0.0.1", path)
	assert.Equal(t, 1, r.code, "--allow-net=10.0.0.1: exit status")
	assert.Contains(t, r.stderr, "PermissionError", "--allow-net=10.0.0.1")
}

// TestCheck: `starnet check` accepts a script whose protocols are well
// formed, reports the first bad callback signature, and fails on a missing
// file.
func TestCheck(t *testing.T) {
	t.Parallel()
	good := script(t, "good.star", `
def data_received(self, data):
    self.transport.write(data)

Echo = protocol("Echo", data_received = data_received,
                connection_made = lambda self, transport: None)
`)
	r := runStarnet(t, "check", good)
	require.Equal(t, 0, r.code, "check good.star: %+v", r)
	require.Empty(t, r.stderr, "check good.star: stderr")
	bad := script(t, "bad.star", `def on_data(self):
    pass

Echo = protocol("Echo", data_received = on_data)
`)
	r = runStarnet(t, "check", good, bad)
	require.Equal(t, 1, r.code, "check bad.star: %+v", r)
	require.True(t, strings.HasPrefix(r.stderr, bad+":4:25: protocol Echo: the loop calls data_received(self, data)"), "check bad.star: stderr %q", r.stderr)
	r = runStarnet(t, "check", filepath.Join(t.TempDir(), "missing.star"))
	require.Equal(t, 1, r.code, "check of a missing file: %+v", r)
}

// server is a running `starnet run` of serverScript.
type server struct {
	*testkit.Process
	port int
}

// serverScript listens on an ephemeral port, prints it, reports connections,
// and writes 64 MiB to a client that says "flood" (then prints "flooding").
const serverScript = `
def connection_made(self, transport):
    self.transport = transport
    print("made")

def data_received(self, data):
    if data == b"flood":
        self.transport.write(b"x" * (64 << 20))
        print("flooding")

def connection_lost(self, exc):
    print("lost", exc)

P = protocol("P", connection_made = connection_made, data_received = data_received,
             connection_lost = connection_lost)
server = loop.run_until_complete(loop.create_server(P, "127.0.0.1", 0))
print("port", server.sockets[0].getsockname()[1])
`

// startServer runs serverScript and waits for its port.
func startServer(t *testing.T) *server {
	t.Helper()
	s := &server{Process: startStarnet(t, "run", "--allow-net", script(t, "server.star", serverScript))}
	line := s.expect(t, "port ")
	_, err := fmt.Sscanf(line, "port %d", &s.port)
	require.NoError(t, err, "bad port line %q", line)
	return s
}

// expect waits for the next stdout line and checks its prefix.
func (s *server) expect(t *testing.T, prefix string) string {
	t.Helper()
	line := s.ReadLine()
	require.True(t, strings.HasPrefix(line, prefix), "stdout line %q, want prefix %q", line, prefix)
	return line
}

// dial connects to the server and waits until connection_made ran.
func (s *server) dial(t *testing.T) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", s.port))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	s.expect(t, "made")
	return conn
}

// floodSize is what serverScript writes to a client that says "flood".
const floodSize = 64 << 20

// readEOF reads until the server closes the connection and returns how many
// bytes it read.
func readEOF(t *testing.T, conn net.Conn) int64 {
	t.Helper()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(testTimeout)))
	n, err := io.Copy(io.Discard, conn)
	if !errors.Is(err, syscall.ECONNRESET) {
		require.NoError(t, err, "reading until the server closes")
	}
	return n
}

// TestSignalDrain: SIGINT and SIGTERM close every connection gracefully,
// flushing what is buffered, and exit 130 and 143.
func TestSignalDrain(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		t.Run(c.sig.String(), func(t *testing.T) {
			t.Parallel()
			s := startServer(t)
			idle := s.dial(t)
			flooded := s.dial(t)
			_, err := flooded.Write([]byte("flood"))
			require.NoError(t, err)
			s.expect(t, "flooding")
			s.Signal(c.sig)
			require.Equal(t, int64(0), readEOF(t, idle), "bytes the idle client got")
			// The graceful close flushes everything buffered.
			require.Equal(t, int64(floodSize), readEOF(t, flooded), "bytes the flooded client got")
			s.expect(t, "lost None")
			s.expect(t, "lost None")
			require.Equal(t, c.code, s.WaitExit(testTimeout), "exit status; stderr:\n%s", s.Stderr())
		})
	}
}

// TestSecondSignalAborts: a second SIGINT during the drain exits at once,
// dropping what was still buffered.
func TestSecondSignalAborts(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	flooded := s.dial(t)
	idle := s.dial(t)
	// 64 MiB that this client does not read yet: the graceful close waits.
	_, err := flooded.Write([]byte("flood"))
	require.NoError(t, err)
	s.expect(t, "flooding")
	s.Signal(syscall.SIGINT)
	// The drain has begun once the idle connection is closed.
	readEOF(t, idle)
	s.expect(t, "lost None")
	// More than the kernel's socket buffers hold: the server is alive and
	// still flushing.
	require.NoError(t, flooded.SetReadDeadline(time.Now().Add(testTimeout)))
	first := make([]byte, 24<<20)
	_, err = io.ReadFull(flooded, first)
	require.NoError(t, err, "the drain stopped early")
	s.Signal(syscall.SIGINT)
	require.Equal(t, 130, s.WaitExit(testTimeout), "exit status; stderr:\n%s", s.Stderr())
	// Aborted: what was still buffered in the process was dropped.
	rest := readEOF(t, flooded)
	require.Less(t, int64(len(first))+rest, int64(floodSize), "the whole buffer was flushed: the second signal did not abort")
}

// TestSignalDuringTopLevel: SIGINT while the top level waits in
// run_until_complete ends the run (exit 130) without running the rest.
func TestSignalDuringTopLevel(t *testing.T) {
	t.Parallel()
	p := startStarnet(t, "run", script(t, "wait.star", `
loop.call_later(3600, lambda: print("timer"))
print("waiting")
loop.run_until_complete(loop.create_future())
print("after")
`))
	require.Equal(t, "waiting", p.ReadLine())
	p.Signal(syscall.SIGINT)
	require.Equal(t, 130, p.WaitExit(testTimeout), "exit status; stderr:\n%s", p.Stderr())
	require.Equal(t, "waiting\n", p.Stdout())
}
