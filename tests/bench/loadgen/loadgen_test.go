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

	"github.com/starnet-dev/starnet/tests/bench/internal/result"
)

// serveEcho runs a goroutine-per-connection server on 127.0.0.1:0 whose
// connections run handle, and returns its address. It stops with the test.
func serveEcho(t *testing.T, handle func(c *net.TCPConn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
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

func testConfig(addr, mode string) config {
	return config{
		addr: addr, mode: mode, conns: 4, size: 100,
		duration: 300 * time.Millisecond, warmup: 50 * time.Millisecond,
		timeout: 2 * time.Second, pid: os.Getpid(), server: "test",
		workload: mode, procs: goruntime.GOMAXPROCS(0), dialWorkers: 3,
		engine: engineGoroutines,
	}
}

// engines lists the ping-pong engines this system has.
func engines() []string {
	if defaultEngine == engineEpoll {
		return []string{engineGoroutines, engineEpoll}
	}
	return []string{engineGoroutines}
}

func TestPingPongAgainstEchoServer(t *testing.T) {
	for _, engine := range engines() {
		t.Run(engine, func(t *testing.T) { testPingPong(t, engine) })
	}
}

func testPingPong(t *testing.T, engine string) {
	cfg := testConfig(serveEcho(t, echo), result.ModePingPong)
	cfg.engine = engine
	res, err := run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 0 {
		t.Fatalf("%d errors, first: %s", res.Errors, res.FirstError)
	}
	if res.Requests == 0 || res.ReqPerS <= 0 || res.MBPerS <= 0 {
		t.Fatalf("no traffic measured: %+v", res)
	}
	if l := res.Latency; l == nil || l.P50 <= 0 || l.P50 > l.P99 || l.P99 > l.P999 || l.P999 > l.Max {
		t.Fatalf("latency percentiles out of order: %+v", res.Latency)
	}
	if res.Unit != result.UnitRequest || res.RSSAfterKiB <= 0 {
		t.Fatalf("server CPU or RSS not measured (the test process is the server): %+v", res)
	}
}

func TestStreamAgainstEchoServer(t *testing.T) {
	cfg := testConfig(serveEcho(t, echo), result.ModeStream)
	cfg.size = 64 * 1024
	res, err := run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 0 {
		t.Fatalf("%d errors, first: %s", res.Errors, res.FirstError)
	}
	if res.MBPerS <= 0 || res.Unit != result.UnitMB {
		t.Fatalf("no stream measured: %+v", res)
	}
}

func TestIdleHoldsConnections(t *testing.T) {
	cfg := testConfig(serveEcho(t, echo), result.ModeIdle)
	cfg.conns, cfg.hold = 200, 10*time.Millisecond
	res, err := run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 0 || res.Conns != 200 {
		t.Fatalf("opened %d of 200, %d errors, first: %s", res.Conns, res.Errors, res.FirstError)
	}
	if res.RSSBeforeKiB <= 0 || res.RSSAfterKiB <= 0 || res.Unit != result.UnitConn {
		t.Fatalf("RSS or CPU not measured: %+v", res)
	}
}

func TestServerThatDoesNotCloseOnEOFFails(t *testing.T) {
	for _, engine := range engines() {
		t.Run(engine, func(t *testing.T) {
			cfg := testConfig(serveEcho(t, echoNoClose(t.Context().Done())), result.ModePingPong)
			cfg.timeout = 300 * time.Millisecond
			cfg.engine = engine
			res, err := run(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if res.Errors != cfg.conns || !strings.Contains(res.FirstError, "did not close after EOF") {
				t.Fatalf("want %d 'did not close after EOF' errors, got %d: %s", cfg.conns, res.Errors, res.FirstError)
			}
		})
	}
}

func TestCorruptEchoFails(t *testing.T) {
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
			if err == nil || !strings.Contains(err.Error(), "echo returned") {
				t.Errorf("idle: want a failed dial naming the bad echo, got %v", err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if res.Errors != 4 || !strings.Contains(res.FirstError, "echo differs") {
			t.Errorf("%s: want 4 'echo differs' errors, got %d: %s", name, res.Errors, res.FirstError)
		}
	}
}

func TestNoServerIsAnError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	for _, engine := range engines() {
		cfg := testConfig(addr, result.ModePingPong)
		cfg.engine = engine
		_, err = run(cfg)
		if err == nil || !strings.Contains(err.Error(), "connection refused") {
			t.Errorf("%s: want a refused dial, got %v", engine, err)
		}
	}
}

func TestFlagValidation(t *testing.T) {
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
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("parseFlags(%q) accepted", args)
		}
	}
	for _, addr := range []string{"127.0.0.2:80", "[::1]:80", "localhost:80"} {
		if _, err := parseFlags([]string{"-addr", addr}, io.Discard); err != nil {
			t.Errorf("loopback address %s rejected: %v", addr, err)
		}
	}
	cfg, err := parseFlags([]string{"-addr", "127.0.0.1:1", "-mode", "stream", "-conns", "10", "-size", "65536"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.workload != "stream-10-65536" || cfg.procs != 1 || cfg.engine != defaultEngine {
		t.Fatalf("defaults: workload %q procs %d", cfg.workload, cfg.procs)
	}
}
