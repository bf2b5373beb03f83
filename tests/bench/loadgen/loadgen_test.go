package main

import (
	"io"
	"net"
	"os"
	goruntime "runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/starnet-dev/starnet/tests/bench/internal/result"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serveEcho runs a goroutine-per-connection server on 127.0.0.1:0 whose
// connections run handle, and returns its address. It stops with the test.
func serveEcho(t *testing.T, handle func(c *net.TCPConn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				handle(c.(*net.TCPConn))
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}

// echo writes back what arrives and closes on EOF: a correct server.
func echo(c *net.TCPConn) { _, _ = io.Copy(struct{ io.Writer }{c}, c) }

// echoNoClose returns a handler that echoes but keeps the connection open
// after EOF, until done is closed.
func echoNoClose(done <-chan struct{}) func(c *net.TCPConn) {
	return func(c *net.TCPConn) {
		echo(c)
		<-done
	}
}

// echoCorrupt echoes every byte incremented by one.
func echoCorrupt(c *net.TCPConn) {
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		for i := range buf[:n] {
			buf[i]++
		}
		if _, werr := c.Write(buf[:n]); werr != nil || err != nil {
			return
		}
	}
}

// testConfig is a short run of mode against addr. Its timeout (the bound
// on a dial and on the drain after the window) is only a watchdog: a
// correct server never makes a test wait for it, and a loaded machine must
// not turn a slow round trip into an error. A test that needs the timeout
// to pass (a server that never closes) sets its own, eofTimeout.
func testConfig(addr, mode string) config {
	return config{
		addr: addr, mode: mode, conns: 4, size: 100,
		duration: 300 * time.Millisecond, warmup: 50 * time.Millisecond,
		timeout: testkit.WaitTimeout, pid: os.Getpid(), server: "test",
		workload: mode, procs: goruntime.GOMAXPROCS(0), dialWorkers: 3,
		engine: engineGoroutines,
	}
}

// eofTimeout is the timeout of the tests whose server never closes after
// the client's EOF: they wait it out, and the echo still in flight when
// the window ends must come back within it, or the error would be a read
// timeout instead of the one the tests expect. Two seconds is a wide
// margin for an in-process echo; the tests run in parallel, so the waits
// overlap.
const eofTimeout = 2 * time.Second

// engines lists the ping-pong engines this system has.
func engines() []string {
	if defaultEngine == engineEpoll {
		return []string{engineGoroutines, engineEpoll}
	}
	return []string{engineGoroutines}
}

// TestPingPongAgainstEchoServer: against a correct echo server each engine
// measures traffic and ordered latency percentiles without errors.
func TestPingPongAgainstEchoServer(t *testing.T) {
	t.Parallel()
	for _, engine := range engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			testPingPong(t, engine)
		})
	}
}

func testPingPong(t *testing.T, engine string) {
	cfg := testConfig(serveEcho(t, echo), result.ModePingPong)
	cfg.engine = engine
	res, err := run(cfg)
	require.NoError(t, err)
	require.Zero(t, res.Errors, "errors, first: %s", res.FirstError)
	require.True(t, res.Requests > 0 && res.ReqPerS > 0 && res.MBPerS > 0, "no traffic measured: %+v", res)
	l := res.Latency
	require.True(t, l != nil && l.P50 > 0 && l.P50 <= l.P99 && l.P99 <= l.P999 && l.P999 <= l.Max, "latency percentiles out of order: %+v", l)
	require.Equal(t, result.UnitRequest, res.Unit, "server CPU not measured (the test process is the server): %+v", res)
	require.Positive(t, res.RSSAfterKiB, "server RSS not measured (the test process is the server): %+v", res)
}

// TestStreamAgainstEchoServer: stream mode measures throughput in MB.
func TestStreamAgainstEchoServer(t *testing.T) {
	t.Parallel()
	cfg := testConfig(serveEcho(t, echo), result.ModeStream)
	cfg.size = 64 * 1024
	res, err := run(cfg)
	require.NoError(t, err)
	require.Zero(t, res.Errors, "errors, first: %s", res.FirstError)
	require.Positive(t, res.MBPerS, "no stream measured: %+v", res)
	require.Equal(t, result.UnitMB, res.Unit, "no stream measured: %+v", res)
}

// TestIdleHoldsConnections: idle mode opens and holds 200 connections and
// measures the server's RSS around them.
func TestIdleHoldsConnections(t *testing.T) {
	t.Parallel()
	cfg := testConfig(serveEcho(t, echo), result.ModeIdle)
	cfg.conns, cfg.hold = 200, 10*time.Millisecond
	res, err := run(cfg)
	require.NoError(t, err)
	require.Zero(t, res.Errors, "errors, first: %s", res.FirstError)
	require.Equal(t, 200, res.Conns, "connections opened")
	require.True(t, res.RSSBeforeKiB > 0 && res.RSSAfterKiB > 0 && res.Unit == result.UnitConn, "RSS or CPU not measured: %+v", res)
}

// TestServerThatDoesNotCloseOnEOFFails: a server that keeps a connection
// open after the client's EOF is an error on every connection.
func TestServerThatDoesNotCloseOnEOFFails(t *testing.T) {
	t.Parallel()
	for _, engine := range engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig(serveEcho(t, echoNoClose(t.Context().Done())), result.ModePingPong)
			cfg.timeout = eofTimeout
			cfg.engine = engine
			res, err := run(cfg)
			require.NoError(t, err)
			require.Equal(t, cfg.conns, res.Errors, "'did not close after EOF' errors, first: %s", res.FirstError)
			require.Contains(t, res.FirstError, "did not close after EOF")
		})
	}
}

// TestCorruptEchoFails: an echo that differs from what was sent fails every
// connection (ping-pong) or the dial (idle).
func TestCorruptEchoFails(t *testing.T) {
	t.Parallel()
	modes := []string{result.ModeIdle}
	for _, e := range engines() {
		modes = append(modes, result.ModePingPong+"/"+e)
	}
	for _, name := range modes {
		mode, engine, _ := strings.Cut(name, "/")
		cfg := testConfig(serveEcho(t, echoCorrupt), mode)
		cfg.engine = engine
		res, err := run(cfg)
		if mode == result.ModeIdle {
			assert.ErrorContains(t, err, "echo returned", "idle: want a failed dial naming the bad echo")
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, 4, res.Errors, "%s: 'echo differs' errors, first: %s", name, res.FirstError)
		assert.Contains(t, res.FirstError, "echo differs", name)
	}
}

// TestNoServerIsAnError: a refused dial fails the run.
func TestNoServerIsAnError(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	for _, engine := range engines() {
		cfg := testConfig(addr, result.ModePingPong)
		cfg.engine = engine
		_, err = run(cfg)
		assert.ErrorContains(t, err, "connection refused", "%s: want a refused dial", engine)
	}
}

// TestFlagValidation: bad flags and non-loopback addresses are refused;
// the defaults are filled in.
func TestFlagValidation(t *testing.T) {
	t.Parallel()
	bad := [][]string{
		{},
		{"-addr", "127.0.0.1:1", "-mode", "flood"},
		{"-addr", "127.0.0.1:1", "-conns", "0"},
		{"-addr", "127.0.0.1:1", "-duration", "0s"},
		{"-addr", "127.0.0.1:1", "extra"},
		{"-addr", "127.0.0.1:1", "-procs", "x"},
		{"-addr", "127.0.0.1:1", "-engine", "threads"},
		{"-addr", "10.0.0.1:7"},
		{"-addr", "example.com:7"},
		{"-addr", "127.0.0.1"},
	}
	for _, args := range bad {
		_, err := parseFlags(args, io.Discard)
		assert.Error(t, err, "parseFlags(%q) accepted", args)
	}
	for _, addr := range []string{"127.0.0.2:80", "[::1]:80", "localhost:80"} {
		_, err := parseFlags([]string{"-addr", addr}, io.Discard)
		assert.NoError(t, err, "loopback address %s rejected", addr)
	}
	cfg, err := parseFlags([]string{"-addr", "127.0.0.1:1", "-mode", "stream", "-conns", "10", "-size", "65536"}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, "stream-10-65536", cfg.workload, "default workload")
	require.Equal(t, 1, cfg.procs, "default procs")
	require.Equal(t, defaultEngine, cfg.engine, "default engine")
}
