package main

import (
	"bufio"
	"bytes"
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
)

// testTimeout bounds every wait; it is a failure guard, not a timing
// assertion.
const testTimeout = 30 * time.Second

// starnetBin is the binary built once by TestMain.
var starnetBin string

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

// runStarnet runs the binary to completion.
func runStarnet(t *testing.T, args ...string) result {
	t.Helper()
	cmd := exec.Command(starnetBin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return result{code: waitExit(t, cmd), stdout: stdout.String(), stderr: stderr.String()}
}

// waitExit waits (bounded) for cmd and returns its exit status.
func waitExit(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode()
		}
		if err != nil {
			t.Fatalf("wait: %v", err)
		}
		return 0
	case <-time.After(testTimeout):
		_ = cmd.Process.Kill()
		t.Fatalf("starnet did not exit")
		return -1
	}
}

// script writes a script file and returns its path.
func script(t *testing.T, name, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestVersion(t *testing.T) {
	r := runStarnet(t, "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "starnet ") || !strings.Contains(r.stdout, "go1.") {
		t.Fatalf("version: %+v", r)
	}
}

func TestUsageErrors(t *testing.T) {
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
		{"run", "--allow-env=maybe", good},
		{"check"},
	} {
		r := runStarnet(t, args...)
		if r.code != 2 || !strings.Contains(r.stderr, "usage:") {
			t.Errorf("starnet %q: status %d, stderr %q; want 2 and the usage text", args, r.code, r.stderr)
		}
	}
}

func TestTopLevelFailure(t *testing.T) {
	path := script(t, "fail.star", "def f(x):\n    return x // 0\n\nf(1)\nprint(\"unreachable\")\n")
	r := runStarnet(t, "run", path)
	if r.code != 1 {
		t.Fatalf("status %d, want 1: %+v", r.code, r)
	}
	for _, want := range []string{"Traceback", path + ":4:2", path + ":2:14", "division by zero"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if r.stdout != "" {
		t.Errorf("stdout %q", r.stdout)
	}
}

func TestMainFailureAndArgs(t *testing.T) {
	path := script(t, "main.star", "def main(argv):\n    print(argv)\n    fail(\"main failed\")\n")
	r := runStarnet(t, "run", path, "a", "--not-a-flag", "b")
	if r.code != 1 || r.stdout != "[\"a\", \"--not-a-flag\", \"b\"]\n" || !strings.Contains(r.stderr, path+":3:") {
		t.Fatalf("%+v", r)
	}
}

func TestExitCode(t *testing.T) {
	r := runStarnet(t, "run", script(t, "exit.star", "loop.call_later(0.01, lambda: exit(3))\n"))
	if r.code != 3 {
		t.Fatalf("status %d, want 3: %+v", r.code, r)
	}
	r = runStarnet(t, "run", script(t, "exit.star", "exit(5)\nprint(\"after\")\n"))
	if r.code != 5 || r.stdout != "" {
		t.Fatalf("exit at top level: %+v", r)
	}
}

func TestExitWhenIdle(t *testing.T) {
	r := runStarnet(t, "run", "--max-steps", "0", script(t, "idle.star", `
def main(argv):
    loop.call_later(0.02, lambda: print("done", argv))
`), "x")
	if r.code != 0 || r.stdout != "done [\"x\"]\n" {
		t.Fatalf("%+v", r)
	}
}

func TestMaxSteps(t *testing.T) {
	src := "def spin():\n    n = 0\n    for i in range(1000000):\n        n += i\n    return n\nprint(spin())\n"
	path := script(t, "spin.star", src)
	if r := runStarnet(t, "run", "--max-steps=1000", path); r.code != 1 {
		t.Fatalf("--max-steps=1000: %+v", r)
	}
	if r := runStarnet(t, "run", "--max-steps=0", path); r.code != 0 || r.stdout != "499999500000\n" {
		t.Fatalf("--max-steps=0: %+v", r)
	}
}

func TestPermissionFlags(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	path := script(t, "connect.star", fmt.Sprintf(`
tr, p = loop.run_until_complete(loop.create_connection(lambda: struct(), "127.0.0.1", %d))
tr.close()
print("connected")
`, port))
	if r := runStarnet(t, "run", path); r.code != 1 || !strings.Contains(r.stderr, "--allow-net") {
		t.Errorf("without --allow-net: %+v", r)
	}
	for _, flags := range [][]string{
		{"--allow-net"},
		{"-A"},
		{"--allow-all"},
		{fmt.Sprintf("--allow-net=example.com,127.0.0.1:%d", port)},
		{"--allow-net=127.0.0.1", "--debug", "--loops", "1"},
	} {
		args := append(append([]string{"run"}, flags...), path)
		if r := runStarnet(t, args...); r.code != 0 || r.stdout != "connected\n" {
			t.Errorf("starnet %q: %+v", args, r)
		}
	}
	if r := runStarnet(t, "run", "--allow-net=10.0.0.1", path); r.code != 1 || !strings.Contains(r.stderr, "PermissionError") {
		t.Errorf("--allow-net=10.0.0.1: %+v", r)
	}
}

func TestCheck(t *testing.T) {
	good := script(t, "good.star", `
def data_received(self, data):
    self.transport.write(data)

Echo = protocol("Echo", data_received = data_received,
                connection_made = lambda self, transport: None)
`)
	if r := runStarnet(t, "check", good); r.code != 0 || r.stderr != "" {
		t.Fatalf("check good.star: %+v", r)
	}
	bad := script(t, "bad.star", `def on_data(self):
    pass

Echo = protocol("Echo", data_received = on_data)
`)
	r := runStarnet(t, "check", good, bad)
	if r.code != 1 || !strings.HasPrefix(r.stderr, bad+":4:25: protocol Echo: the loop calls data_received(self, data)") {
		t.Fatalf("check bad.star: %+v", r)
	}
	if r := runStarnet(t, "check", filepath.Join(t.TempDir(), "missing.star")); r.code != 1 {
		t.Fatalf("check of a missing file: %+v", r)
	}
}

// server is a running `starnet run` of serverScript.
type server struct {
	cmd    *exec.Cmd
	lines  chan string // stdout, line by line
	stderr *bytes.Buffer
	port   int
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

func startServer(t *testing.T) *server {
	t.Helper()
	cmd := exec.Command(starnetBin, "run", "--allow-net", script(t, "server.star", serverScript))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, lines: make(chan string, 100), stderr: &bytes.Buffer{}}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
		close(s.lines)
	}()
	line := s.expect(t, "port ")
	if _, err := fmt.Sscanf(line, "port %d", &s.port); err != nil {
		t.Fatalf("bad port line %q", line)
	}
	return s
}

// expect waits for the next stdout line and checks its prefix.
func (s *server) expect(t *testing.T, prefix string) string {
	t.Helper()
	select {
	case line, ok := <-s.lines:
		if !ok {
			t.Fatalf("stdout closed while waiting for %q; stderr:\n%s", prefix, s.stderr)
		}
		if !strings.HasPrefix(line, prefix) {
			t.Fatalf("stdout line %q, want prefix %q", line, prefix)
		}
		return line
	case <-time.After(testTimeout):
		t.Fatalf("timed out waiting for %q", prefix)
		return ""
	}
}

// dial connects to the server and waits until connection_made ran.
func (s *server) dial(t *testing.T) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", s.port))
	if err != nil {
		t.Fatal(err)
	}
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
	_ = conn.SetReadDeadline(time.Now().Add(testTimeout))
	n, err := io.Copy(io.Discard, conn)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("reading until the server closes: %v", err)
	}
	return n
}

func TestSignalDrain(t *testing.T) {
	for _, c := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		t.Run(c.sig.String(), func(t *testing.T) {
			s := startServer(t)
			idle := s.dial(t)
			flooded := s.dial(t)
			if _, err := flooded.Write([]byte("flood")); err != nil {
				t.Fatal(err)
			}
			s.expect(t, "flooding")
			if err := s.cmd.Process.Signal(c.sig); err != nil {
				t.Fatal(err)
			}
			if n := readEOF(t, idle); n != 0 {
				t.Fatalf("idle client got %d bytes", n)
			}
			// The graceful close flushes everything buffered.
			if n := readEOF(t, flooded); n != floodSize {
				t.Fatalf("flooded client got %d bytes, want %d", n, floodSize)
			}
			s.expect(t, "lost None")
			s.expect(t, "lost None")
			if code := waitExit(t, s.cmd); code != c.code {
				t.Fatalf("status %d, want %d; stderr:\n%s", code, c.code, s.stderr)
			}
		})
	}
}

func TestSecondSignalAborts(t *testing.T) {
	s := startServer(t)
	flooded := s.dial(t)
	idle := s.dial(t)
	// 64 MiB that this client does not read yet: the graceful close waits.
	if _, err := flooded.Write([]byte("flood")); err != nil {
		t.Fatal(err)
	}
	s.expect(t, "flooding")
	if err := s.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	// The drain has begun once the idle connection is closed.
	readEOF(t, idle)
	s.expect(t, "lost None")
	// More than the kernel's socket buffers hold: the server is alive and
	// still flushing.
	_ = flooded.SetReadDeadline(time.Now().Add(testTimeout))
	first := make([]byte, 24<<20)
	if _, err := io.ReadFull(flooded, first); err != nil {
		t.Fatalf("the drain stopped early: %v", err)
	}
	if err := s.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, s.cmd); code != 130 {
		t.Fatalf("status %d, want 130; stderr:\n%s", code, s.stderr)
	}
	// Aborted: what was still buffered in the process was dropped.
	if rest := readEOF(t, flooded); int64(len(first))+rest >= floodSize {
		t.Fatalf("the whole buffer was flushed: the second signal did not abort")
	}
}

func TestSignalDuringTopLevel(t *testing.T) {
	cmd := exec.Command(starnetBin, "run", script(t, "wait.star", `
loop.call_later(3600, lambda: print("timer"))
print("waiting")
loop.run_until_complete(loop.create_future())
print("after")
`))
	stdout := testkit.NewOutput()
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	stdout.WaitFor(t, "waiting\n", testTimeout)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, cmd); code != 130 || stdout.String() != "waiting\n" {
		t.Fatalf("status %d (want 130), stdout %q, stderr:\n%s", code, stdout, stderr.String())
	}
}
