package tests

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestPermissionDenied(t *testing.T) {
	// A listener the denied client must never reach.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)

	cases := []struct {
		name string
		args []string
	}{
		{"no flags", []string{"run", "scripts/echo_client.star", "127.0.0.1", port}},
		{"other host", []string{"run", "--allow-net=10.0.0.1", "scripts/echo_client.star", "127.0.0.1", port}},
		{"other port", []string{"run", "--allow-net=127.0.0.1:1", "scripts/echo_client.star", "127.0.0.1", port}},
		{"read only", []string{"run", "--allow-read", "scripts/echo_client.star", "127.0.0.1", port}},
		{"server", []string{"run", "scripts/echo_server.star", "0"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runScript(t, c.args...)
			if code != 1 {
				t.Errorf("exit status %d, want 1", code)
			}
			if !strings.Contains(stderr, "PermissionError") || !strings.Contains(stderr, "--allow-net") {
				t.Errorf("stderr does not name PermissionError and --allow-net:\n%s", stderr)
			}
			if strings.Contains(stdout, "listening on") || strings.Contains(stdout, "sent:") {
				t.Errorf("the denied script got to use the network:\n%s", stdout)
			}
		})
	}

	// Nothing connected: a connection would be queued on the listener by now.
	if err := ln.(*net.TCPListener).SetDeadline(time.Now().Add(200 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if c, err := ln.Accept(); err == nil {
		c.Close()
		t.Error("a denied client connected to the listener")
	}
}

func TestPermissionAllowedByNarrowFlag(t *testing.T) {
	_, port := startEchoServer(t) // itself run with --allow-net=127.0.0.1
	p := strconv.Itoa(port)
	for _, flag := range []string{"--allow-net=127.0.0.1:" + p, "--allow-net=:" + p, "--allow-net=127.0.0.0/8", "--allow-net"} {
		t.Run(flag, func(t *testing.T) {
			code, stdout, stderr := runScript(t, "run", flag, "scripts/echo_client.star", "127.0.0.1", p, "hi")
			if code != 0 || stdout != "sent: hi\nreceived: hi\n" {
				t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
		})
	}
}

// TestScriptErrorClosesOnlyItsConnection: a failing data_received closes its
// own connection (connection_lost with a ScriptError) and is reported on
// stderr; the process and the other connections carry on.
func TestScriptErrorClosesOnlyItsConnection(t *testing.T) {
	server := startScript(t, "run", "--allow-net=127.0.0.1", "tests/testdata/fragile_echo.star")
	addr := server.listenAddr()

	survivor := dialEcho(t, addr)
	survivor.roundTrip("before\n")

	victim := dialEcho(t, addr)
	victim.roundTrip("fine so far\n")
	if _, err := victim.conn.Write([]byte("boom\n")); err != nil {
		t.Fatal(err)
	}
	// The server closes the victim at once: EOF (or a reset) with no echo.
	rest, _ := readAll(victim.conn)
	if len(rest) != 0 {
		t.Errorf("victim got %q after the failing callback, want nothing", rest)
	}
	if got := server.waitLine("connection_lost "); got != "connection_lost ScriptError" {
		t.Errorf("server printed %q, want %q", got, "connection_lost ScriptError")
	}

	survivor.roundTrip("after\n")
	dialEcho(t, addr).roundTrip("newcomer\n")
	if !server.running() {
		t.Fatal("the server exited after a callback failed")
	}
	stderr := server.stderr.String()
	for _, want := range []string{"boom received", "data_received"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not mention %q:\n%s", want, stderr)
		}
	}
}

// echoConn is a client connection to an echo server.
type echoConn struct {
	t    *testing.T
	conn *net.TCPConn
}

// dialEcho connects to addr; the connection is closed when the test ends.
func dialEcho(t *testing.T, addr string) *echoConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, waitTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.SetDeadline(time.Now().Add(waitTimeout)); err != nil {
		t.Fatal(err)
	}
	return &echoConn{t: t, conn: c.(*net.TCPConn)}
}

// roundTrip writes msg and checks that it comes back.
func (e *echoConn) roundTrip(msg string) {
	e.t.Helper()
	if _, err := e.conn.Write([]byte(msg)); err != nil {
		e.t.Fatalf("write %q: %v", msg, err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(e.conn, got); err != nil || string(got) != msg {
		e.t.Fatalf("echo of %q: got %q, %v", msg, got, err)
	}
}

// TestSIGINTDrain: on SIGINT, starnet closes every transport gracefully —
// data still buffered for a client that was not reading is delivered, then
// connection_lost(None) — and exits 130.
func TestSIGINTDrain(t *testing.T) {
	server := startScript(t, "run", "--allow-net=127.0.0.1", "tests/testdata/drain_server.star")
	client := dialEcho(t, server.listenAddr())

	// Send 4 MiB without reading: most of the echo waits in the server's
	// write buffer. After the half-close the server has read everything.
	data := bytes.Repeat([]byte("0123456789abcdef"), 256<<10)
	if _, err := client.conn.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := client.conn.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	server.waitLine("eof_received")

	server.signal(syscall.SIGINT)
	got, err := readAll(client.conn)
	if err != nil {
		t.Errorf("reading the drained echo: %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Errorf("got %d bytes back after SIGINT, want the %d sent", len(got), len(data))
	}
	if code := server.waitExit(waitTimeout); code != 130 {
		t.Errorf("exit status %d after SIGINT, want 130\nstderr:\n%s", code, server.stderr.String())
	}
	if got := server.waitLine("connection_lost "); got != "connection_lost None" {
		t.Errorf("server printed %q, want %q", got, "connection_lost None")
	}
}

// TestSecondSIGINTAborts: a drain that cannot finish (the client never
// reads) is cut short by a second SIGINT.
func TestSecondSIGINTAborts(t *testing.T) {
	server := startScript(t, "run", "--allow-net=127.0.0.1", "tests/testdata/drain_server.star")
	addr := server.listenAddr()
	stuck := dialEcho(t, addr)
	idle := dialEcho(t, addr)
	idle.roundTrip("hello\n")

	// 8 MiB echoed to a client that never reads: the drain cannot finish.
	data := bytes.Repeat([]byte("0123456789abcdef"), 512<<10)
	if _, err := stuck.conn.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := stuck.conn.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	server.waitLine("eof_received")

	server.signal(syscall.SIGINT)
	// The idle connection is closed by the drain: the first signal was handled.
	if rest, err := readAll(idle.conn); err != nil || len(rest) != 0 {
		t.Fatalf("after SIGINT the idle client read %q, %v; want EOF", rest, err)
	}
	if !server.running() {
		t.Fatal("starnet exited before its buffered data could be delivered")
	}
	server.signal(syscall.SIGINT)
	if code := server.waitExit(waitTimeout); code != 130 {
		t.Errorf("exit status %d after two SIGINTs, want 130", code)
	}
	if got := server.waitLine("connection_lost "); got != "connection_lost None" {
		t.Errorf("server printed %q, want %q", got, "connection_lost None")
	}
}

// TestSIGTERMExitCode: SIGTERM drains the same way and exits 143.
func TestSIGTERMExitCode(t *testing.T) {
	server := startScript(t, "run", "--allow-net=127.0.0.1", "tests/testdata/drain_server.star")
	client := dialEcho(t, server.listenAddr())
	client.roundTrip("hello\n")
	server.signal(syscall.SIGTERM)
	if rest, err := readAll(client.conn); err != nil || len(rest) != 0 {
		t.Errorf("after SIGTERM the client read %q, %v; want EOF", rest, err)
	}
	if code := server.waitExit(waitTimeout); code != 143 {
		t.Errorf("exit status %d after SIGTERM, want 143", code)
	}
	if got := server.waitLine("connection_lost "); got != "connection_lost None" {
		t.Errorf("server printed %q, want %q", got, "connection_lost None")
	}
}

func TestExitWhenIdle(t *testing.T) {
	cases := []struct{ script, stdout string }{
		{"tests/testdata/nothing.star", ""},
		{"tests/testdata/idle.star", "main\ntimer\n"},
	}
	for _, c := range cases {
		t.Run(c.script, func(t *testing.T) {
			// No permission is needed for either script.
			p := startScript(t, "run", c.script)
			if code := p.waitExit(10 * time.Second); code != 0 {
				t.Errorf("exit status %d, want 0\nstderr:\n%s", code, p.stderr.String())
			}
			if got := p.stdout(); got != c.stdout {
				t.Errorf("stdout %q, want %q", got, c.stdout)
			}
		})
	}
}

// TestEchoClientRefused: a refused connection makes run_until_complete fail
// in main, so starnet exits 1 with the error on stderr.
func TestEchoClientRefused(t *testing.T) {
	port := releasedPort(t)
	code, _, stderr := runScript(t, "run", "--allow-net=127.0.0.1", "scripts/echo_client.star", "127.0.0.1", fmt.Sprint(port))
	if code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	if !strings.Contains(stderr, "ConnectionRefusedError") {
		t.Errorf("stderr does not name ConnectionRefusedError:\n%s", stderr)
	}
}

// TestUnretrievedFutureErrors: the errors of futures that the script never
// looked at are reported on stderr when the run ends, as asyncio's "Future
// exception was never retrieved"; retrieved ones are not; the exit status
// stays 0.
func TestUnretrievedFutureErrors(t *testing.T) {
	port := releasedPort(t)
	code, stdout, stderr := runScript(t, "run", "--allow-net=127.0.0.1", "tests/testdata/unretrieved.star", fmt.Sprint(port))
	if code != 0 {
		t.Errorf("exit status %d, want 0\nstderr:\n%s", code, stderr)
	}
	wantOut := "Exception: looked at\n<Future finished exception=Exception: only printed>\ncallback saw ConnectionRefusedError\n"
	if stdout != wantOut {
		t.Errorf("stdout %q, want %q", stdout, wantOut)
	}
	if n := strings.Count(stderr, "Future exception was never retrieved"); n != 2 {
		t.Errorf("%d reports, want 2 (the dropped connection and the printed future):\n%s", n, stderr)
	}
	for _, want := range []string{"ConnectionRefusedError", "only printed"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "looked at") {
		t.Errorf("a retrieved error was reported:\n%s", stderr)
	}
}
