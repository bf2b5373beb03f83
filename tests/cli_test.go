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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPermissionDenied: without a --allow-net that covers the address, a
// client script's connection and a server script's listen both fail with
// a PermissionError naming --allow-net, exit 1, and never touch the network.
func TestPermissionDenied(t *testing.T) {
	t.Parallel()
	// A listener the denied client must never reach.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
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
			assert.Equal(t, 1, code, "exit status")
			assert.Contains(t, stderr, "PermissionError")
			assert.Contains(t, stderr, "--allow-net")
			assert.NotContains(t, stdout, "listening on", "the denied script got to use the network")
			assert.NotContains(t, stdout, "sent:", "the denied script got to use the network")
		})
	}

	// Nothing connected: every script has exited, so a connection it made
	// would be queued on the listener already, and Accept would return it
	// at once. The deadline only ends the wait for one that is not there.
	require.NoError(t, ln.(*net.TCPListener).SetDeadline(time.Now().Add(200*time.Millisecond)))
	if c, err := ln.Accept(); err == nil {
		c.Close()
		t.Error("a denied client connected to the listener")
	}
}

// TestPermissionAllowedByNarrowFlag: each spelling of --allow-net that
// covers 127.0.0.1:PORT lets echo_client.star connect.
func TestPermissionAllowedByNarrowFlag(t *testing.T) {
	t.Parallel()
	_, port := startEchoServer(t) // itself run with --allow-net=127.0.0.1
	p := strconv.Itoa(port)
	for _, flag := range []string{"--allow-net=127.0.0.1:" + p, "--allow-net=:" + p, "--allow-net=127.0.0.0/8", "--allow-net"} {
		t.Run(flag, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runScript(t, "run", flag, "scripts/echo_client.star", "127.0.0.1", p, "hi")
			assert.Equal(t, 0, code, "exit status; stderr:\n%s", stderr)
			assert.Equal(t, "sent: hi\nreceived: hi\n", stdout)
		})
	}
}

// TestScriptErrorClosesOnlyItsConnection: a failing data_received closes its
// own connection (connection_lost with a ScriptError) and is reported on
// stderr; the process and the other connections carry on.
func TestScriptErrorClosesOnlyItsConnection(t *testing.T) {
	t.Parallel()
	server := startScript(t, "run", "--allow-net=127.0.0.1", "tests/testdata/fragile_echo.star")
	addr := listenAddr(t, server)

	survivor := dialEcho(t, addr)
	survivor.roundTrip("before\n")

	victim := dialEcho(t, addr)
	victim.roundTrip("fine so far\n")
	_, err := victim.conn.Write([]byte("boom\n"))
	require.NoError(t, err)
	// The server closes the victim at once: EOF (or a reset) with no echo.
	rest, _ := readAll(victim.conn)
	assert.Empty(t, rest, "what the victim got after the failing callback")
	assert.Equal(t, "connection_lost ScriptError", server.WaitLine("connection_lost "))

	survivor.roundTrip("after\n")
	dialEcho(t, addr).roundTrip("newcomer\n")
	require.True(t, server.Running(), "the server exited after a callback failed")
	stderr := stopAndStderr(t, server)
	for _, want := range []string{"boom received", "data_received"} {
		assert.Contains(t, stderr, want)
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
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.SetDeadline(time.Now().Add(waitTimeout)))
	return &echoConn{t: t, conn: c.(*net.TCPConn)}
}

// roundTrip writes msg and checks that it comes back.
func (e *echoConn) roundTrip(msg string) {
	e.t.Helper()
	_, err := e.conn.Write([]byte(msg))
	require.NoError(e.t, err, "write %q", msg)
	got := make([]byte, len(msg))
	_, err = io.ReadFull(e.conn, got)
	require.NoError(e.t, err, "echo of %q: got %q", msg, got)
	require.Equal(e.t, msg, string(got), "echo")
}

// TestSIGINTDrain: on SIGINT, starnet closes every transport gracefully —
// data still buffered for a client that was not reading is delivered, then
// connection_lost(None) — and exits 130.
func TestSIGINTDrain(t *testing.T) {
	t.Parallel()
	server := startScript(t, "run", "--allow-net=127.0.0.1", "tests/testdata/drain_server.star")
	client := dialEcho(t, listenAddr(t, server))

	// Send 4 MiB without reading: most of the echo waits in the server's
	// write buffer. After the half-close the server has read everything.
	data := bytes.Repeat([]byte("0123456789abcdef"), 256<<10)
	_, err := client.conn.Write(data)
	require.NoError(t, err)
	require.NoError(t, client.conn.CloseWrite())
	server.WaitLine("eof_received")

	server.Signal(syscall.SIGINT)
	got, err := readAll(client.conn)
	assert.NoError(t, err, "reading the drained echo")
	assert.True(t, bytes.Equal(got, data), "got %d bytes back after SIGINT, want the %d sent", len(got), len(data))
	assert.Equal(t, 130, server.WaitExit(waitTimeout), "exit status after SIGINT")
	assert.Equal(t, "connection_lost None", server.WaitLine("connection_lost "))
}

// TestSecondSIGINTAborts: a drain that cannot finish (the client never
// reads) is cut short by a second SIGINT.
func TestSecondSIGINTAborts(t *testing.T) {
	t.Parallel()
	server := startScript(t, "run", "--allow-net=127.0.0.1", "tests/testdata/drain_server.star")
	addr := listenAddr(t, server)
	stuck := dialEcho(t, addr)
	idle := dialEcho(t, addr)
	idle.roundTrip("hello\n")

	// 8 MiB echoed to a client that never reads: the drain cannot finish.
	data := bytes.Repeat([]byte("0123456789abcdef"), 512<<10)
	_, err := stuck.conn.Write(data)
	require.NoError(t, err)
	require.NoError(t, stuck.conn.CloseWrite())
	server.WaitLine("eof_received")

	server.Signal(syscall.SIGINT)
	// The idle connection is closed by the drain: the first signal was handled.
	rest, err := readAll(idle.conn)
	require.NoError(t, err, "after SIGINT the idle client's read")
	require.Empty(t, rest, "after SIGINT the idle client read data, want EOF")
	require.True(t, server.Running(), "starnet exited before its buffered data could be delivered")
	server.Signal(syscall.SIGINT)
	assert.Equal(t, 130, server.WaitExit(waitTimeout), "exit status after two SIGINTs")
	assert.Equal(t, "connection_lost None", server.WaitLine("connection_lost "))
}

// TestSIGTERMExitCode: SIGTERM drains the same way and exits 143.
func TestSIGTERMExitCode(t *testing.T) {
	t.Parallel()
	server := startScript(t, "run", "--allow-net=127.0.0.1", "tests/testdata/drain_server.star")
	client := dialEcho(t, listenAddr(t, server))
	client.roundTrip("hello\n")
	server.Signal(syscall.SIGTERM)
	rest, err := readAll(client.conn)
	assert.NoError(t, err, "after SIGTERM the client's read")
	assert.Empty(t, rest, "after SIGTERM the client read data, want EOF")
	assert.Equal(t, 143, server.WaitExit(waitTimeout), "exit status after SIGTERM")
	assert.Equal(t, "connection_lost None", server.WaitLine("connection_lost "))
}

// TestExitWhenIdle: a script with nothing left to do (no work at all, or
// only a timer that has fired) exits 0 by itself.
func TestExitWhenIdle(t *testing.T) {
	t.Parallel()
	cases := []struct{ script, stdout string }{
		{"tests/testdata/nothing.star", ""},
		{"tests/testdata/idle.star", "main\ntimer\n"},
	}
	for _, c := range cases {
		t.Run(c.script, func(t *testing.T) {
			t.Parallel()
			// No permission is needed for either script.
			p := startScript(t, "run", c.script)
			assert.Equal(t, 0, p.WaitExit(waitTimeout), "exit status; stderr:\n%s", p.Stderr())
			assert.Equal(t, c.stdout, p.Stdout())
		})
	}
}

// TestEchoClientRefused: a refused connection makes run_until_complete fail
// in main, so starnet exits 1 with the error on stderr.
func TestEchoClientRefused(t *testing.T) {
	t.Parallel()
	port := releasedPort(t)
	code, _, stderr := runScript(t, "run", "--allow-net=127.0.0.1", "scripts/echo_client.star", "127.0.0.1", fmt.Sprint(port))
	assert.Equal(t, 1, code, "exit status")
	assert.Contains(t, stderr, "ConnectionRefusedError")
}

// TestUnretrievedFutureErrors: the errors of futures that the script never
// looked at are reported on stderr when the run ends, as asyncio's "Future
// exception was never retrieved"; retrieved ones are not; the exit status
// stays 0.
func TestUnretrievedFutureErrors(t *testing.T) {
	t.Parallel()
	port := releasedPort(t)
	code, stdout, stderr := runScript(t, "run", "--allow-net=127.0.0.1", "tests/testdata/unretrieved.star", fmt.Sprint(port))
	assert.Equal(t, 0, code, "exit status; stderr:\n%s", stderr)
	assert.Equal(t, "Exception: looked at\n<Future finished exception=Exception: only printed>\ncallback saw ConnectionRefusedError\n", stdout)
	assert.Equal(t, 2, strings.Count(stderr, "Future exception was never retrieved"),
		"reports (the dropped connection and the printed future) in:\n%s", stderr)
	for _, want := range []string{"ConnectionRefusedError", "only printed"} {
		assert.Contains(t, stderr, want)
	}
	assert.NotContains(t, stderr, "looked at", "a retrieved error was reported")
}
