package tests

import (
	"bytes"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startLoopsServer runs tests/testdata/loops_server.star on loops loops,
// waits until every copy listens, checks that they all listen on the same
// address, and returns it.
func startLoopsServer(t *testing.T, loops int) (*testkit.Process, string) {
	t.Helper()
	p := startScript(t, "run", "--allow-net=127.0.0.1", "--loops", strconv.Itoa(loops), "tests/testdata/loops_server.star")
	var addr string
	seen := map[string]bool{}
	for i := 0; i < loops; i++ {
		line := p.WaitLine("listening on ")
		var a string
		var index int
		_, err := fmt.Sscanf(line, "listening on %s loop %d", &a, &index)
		require.NoError(t, err, "bad line %q", line)
		if addr != "" && a != addr {
			t.Fatalf("loop %d listens on %s, loop 0's copy on %s: port 0 must give every copy the same port", index, a, addr)
		}
		addr, seen[strconv.Itoa(index)] = a, true
	}
	require.Len(t, seen, loops, "listening lines of loops %v: want that many distinct loops", seen)
	return p, addr
}

// loopConn is a connection to loops_server.star that knows which loop
// accepted it.
type loopConn struct {
	*echoConn
	loop int
}

// dialLoop connects to addr and reads the server's greeting "loop N\n".
func dialLoop(t *testing.T, addr string) loopConn {
	t.Helper()
	c := dialEcho(t, addr)
	var line []byte
	b := make([]byte, 1)
	for len(line) == 0 || line[len(line)-1] != '\n' {
		if _, err := c.conn.Read(b); err != nil {
			t.Fatalf("reading the greeting: %v (got %q)", err, line)
		}
		line = append(line, b[0])
	}
	var n int
	_, err := fmt.Sscanf(string(line), "loop %d\n", &n)
	require.NoError(t, err, "bad greeting %q", line)
	return loopConn{c, n}
}

// connectionsOnEveryLoop connects to server's addr until it holds one
// connection accepted by each of loops loops; the others are reset (the
// script keeps half-closed connections open), and their "lost" lines
// consumed. The kernel picks a loop by hashing each
// connection's addresses, so a few attempts are plenty; the bound only
// guards against a server that never spreads.
func connectionsOnEveryLoop(t *testing.T, server *testkit.Process, addr string, loops int) []loopConn {
	t.Helper()
	conns := make([]loopConn, loops)
	found := 0
	for attempt := 0; attempt < 2000 && found < loops; attempt++ {
		c := dialLoop(t, addr)
		if c.loop < 0 || c.loop >= loops {
			t.Fatalf("greeted by loop %d of %d", c.loop, loops)
		}
		if conns[c.loop].echoConn != nil {
			require.NoError(t, c.conn.SetLinger(0))
			c.conn.Close()
			server.WaitLine(fmt.Sprintf("lost %d ", c.loop))
			continue
		}
		conns[c.loop] = c
		found++
	}
	if found < loops {
		t.Fatalf("2000 connections reached only %d of %d loops", found, loops)
	}
	return conns
}

// spreadClient is a python3 peer that makes N connections one after the
// other; each reads the greeting, echoes one line and prints the greeting.
const spreadClient = `
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    f = s.makefile("rb")
    greeting = f.readline()
    s.sendall(b"ping %d\n" % i)
    echo = f.readline()
    if echo != b"ping %d\n" % i:
        sys.exit("bad echo %r" % echo)
    print(greeting.decode().strip())
    s.close()
`

// TestLoopsSpreadConnections: with --loops 2 both copies serve the one port
// and the kernel hands connections to both. 200 connections all landing on
// one loop would take a 2^-199 chance.
func TestLoopsSpreadConnections(t *testing.T) {
	t.Parallel()
	server, addr := startLoopsServer(t, 2)
	_, port, _ := net.SplitHostPort(addr)
	const n = 200
	out := testkit.RunPython(t, spreadClient, port, strconv.Itoa(n))
	perLoop := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		perLoop[line]++
	}
	require.True(t, perLoop["loop 0"] > 0 && perLoop["loop 1"] > 0 && perLoop["loop 0"]+perLoop["loop 1"] == n,
		"connections per loop %v, want both loops among %d", perLoop, n)
	t.Logf("connections per loop: %v", perLoop)
	server.Signal(syscall.SIGINT)
	assert.Equal(t, 130, server.WaitExit(waitTimeout), "exit status after SIGINT")
	wellFormed := regexp.MustCompile(`^(listening on \S+ loop [01]|made [01]|eof [01]|lost [01] .*)$`)
	made := 0
	for _, line := range strings.Split(strings.TrimSpace(server.Stdout()), "\n") {
		assert.Regexp(t, wellFormed, line, "garbled output line")
		if strings.HasPrefix(line, "made ") {
			made++
		}
	}
	assert.Equal(t, n, made, "connection_made lines")
}

// TestLoopsPrintLinesDoNotInterleave: three copies print long lines at the
// same time; every line comes out whole.
func TestLoopsPrintLinesDoNotInterleave(t *testing.T) {
	t.Parallel()
	const loops, lines, width = 3, 200, 10000
	code, stdout, stderr := runScript(t, "run", "--loops", strconv.Itoa(loops), "tests/testdata/loops_print.star", strconv.Itoa(lines), strconv.Itoa(width))
	require.Equal(t, 0, code, "exit status; stderr:\n%s", stderr)
	got := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	require.Equal(t, loops*lines, len(got), "lines")
	perLoop := map[byte]int{}
	for i, line := range got {
		whole := len(line) == width+2 && line[1] == ':' && strings.Count(line, line[2:3]) == width && line[2] == 'a'+line[0]-'0'
		require.True(t, whole, "line %d is garbled: %.60q... (%d bytes)", i, line, len(line))
		perLoop[line[0]]++
	}
	for i := 0; i < loops; i++ {
		require.Equal(t, lines, perLoop[byte('0'+i)], "lines of loop %d (all: %v)", i, perLoop)
	}
}

// TestLoopsSIGINTDrainsEveryLoop: SIGINT drains every copy — the echoes
// buffered for clients that were not reading are delivered on both loops,
// connection_lost(None) runs on both — and starnet exits 130.
func TestLoopsSIGINTDrainsEveryLoop(t *testing.T) {
	t.Parallel()
	server, addr := startLoopsServer(t, 2)
	conns := connectionsOnEveryLoop(t, server, addr, 2)
	data := bytes.Repeat([]byte("0123456789abcdef"), 256<<10) // 4 MiB each
	for _, c := range conns {
		_, err := c.conn.Write(data)
		require.NoError(t, err)
		require.NoError(t, c.conn.CloseWrite())
	}
	// Both servers have read everything once both saw EOF.
	eofs := []string{server.WaitLine("eof "), server.WaitLine("eof ")}
	require.ElementsMatch(t, []string{"eof 0", "eof 1"}, eofs, "eof_received lines: one per loop, in any order")

	server.Signal(syscall.SIGINT)
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func(c loopConn) {
			defer wg.Done()
			got, err := readAll(c.conn)
			assert.NoError(t, err, "loop %d: reading after SIGINT", c.loop)
			assert.True(t, bytes.Equal(got, data), "loop %d: got %d bytes back after SIGINT, want the %d sent", c.loop, len(got), len(data))
		}(c)
	}
	wg.Wait()
	assert.Equal(t, 130, server.WaitExit(waitTimeout), "exit status after SIGINT")
	out := server.Stdout()
	for _, want := range []string{"lost 0 None\n", "lost 1 None\n"} {
		assert.Equal(t, 1, strings.Count(out, want), "lines %q in stdout:\n%s", want, out)
	}
}

// TestLoopsExitFromOneCopyEndsAll: exit(3) in loop 1's copy closes loop 0's
// connections gracefully too, and starnet exits 3.
func TestLoopsExitFromOneCopyEndsAll(t *testing.T) {
	t.Parallel()
	server, addr := startLoopsServer(t, 2)
	conns := connectionsOnEveryLoop(t, server, addr, 2)
	conns[0].roundTrip("still here\n")
	_, err := conns[1].conn.Write([]byte("exit 3\n"))
	require.NoError(t, err)
	for _, c := range conns {
		rest, err := readAll(c.conn)
		assert.NoError(t, err, "loop %d's client after exit(3)", c.loop)
		assert.Empty(t, rest, "loop %d's client read data after exit(3), want EOF", c.loop)
	}
	assert.Equal(t, 3, server.WaitExit(waitTimeout), "exit status; stderr:\n%s", server.Stderr())
	out := server.Stdout()
	for _, want := range []string{"lost 0 None\n", "lost 1 None\n"} {
		assert.Contains(t, out, want)
	}
}

// TestDebugReportsUnclosedTransports: with --debug, a connection the script
// left open when its run ended (loop.stop()) is reported as asyncio's
// ResourceWarning; one it closed, or any without --debug, is not.
func TestDebugReportsUnclosedTransports(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open until the test ends
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	const warning = "ResourceWarning: unclosed transport <socket transport fd="
	cases := []struct {
		name  string
		flags []string
		close bool
		warns int
	}{
		{"debug, left open", []string{"--debug"}, false, 1},
		{"debug, two loops, left open", []string{"--debug", "--loops", "2"}, false, 2},
		{"debug, closed", []string{"--debug"}, true, 0},
		{"no debug, left open", nil, false, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"run", "--allow-net=127.0.0.1"}, c.flags...)
			args = append(args, "tests/testdata/unclosed.star", "127.0.0.1", port)
			if c.close {
				args = append(args, "close")
			}
			code, stdout, stderr := runScript(t, args...)
			require.Equal(t, 0, code, "exit status; stderr:\n%s", stderr)
			require.Contains(t, stdout, "connected", "the script did not connect")
			// Only the warnings count: with --debug a loaded machine may add
			// slow-callback reports, which are not what this test is about.
			assert.Equal(t, c.warns, strings.Count(stderr, warning), "warnings %q in stderr:\n%s", warning, stderr)
		})
	}
}

// TestLoopsScriptSignalHandlers: a copy whose script handles SIGINT gets the
// signal (in every loop) instead of the default drain-and-exit.
func TestLoopsScriptSignalHandlers(t *testing.T) {
	t.Parallel()
	server := startScript(t, "run", "--allow-net=127.0.0.1", "--loops", "2", "tests/testdata/loops_handler.star")
	server.WaitLine("listening on ")
	server.WaitLine("listening on ")
	server.Signal(syscall.SIGINT)
	assert.Equal(t, 0, server.WaitExit(waitTimeout),
		"exit status (the scripts handled SIGINT, then ran out of work); stderr:\n%s", server.Stderr())
	out := server.Stdout()
	for _, want := range []string{"handler 0\n", "handler 1\n"} {
		assert.Equal(t, 1, strings.Count(out, want), "lines %q in stdout:\n%s", want, out)
	}
}
