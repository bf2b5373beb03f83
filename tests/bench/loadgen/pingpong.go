package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/starnet-dev/starnet/tests/bench/internal/result"
)

// pingPongConn is one ping-pong connection's state; only its goroutine
// touches it until the run's WaitGroup is done.
type pingPongConn struct {
	conn     duplexConn
	msg, buf []byte
	hist     Histogram
	requests uint64
	err      error
}

// Ping-pong engines (-engine).
const (
	engineGoroutines = "goroutines" // a goroutine per net.Conn, any OS
	engineEpoll      = "epoll"      // one thread, epoll, raw sockets (Linux)
)

// pingPongEngine is a running ping-pong load.
type pingPongEngine interface {
	// wait waits until the load has stopped (after the phase became
	// phaseStop) and every connection is closed, and returns the
	// round-trip times and count recorded, and each connection's error.
	wait() (hist *Histogram, requests uint64, errs []error)
}

// runPingPong drives cfg.conns connections that each send a cfg.size-byte
// message and read its echo in a loop, and fills res with the rate, the
// latency percentiles and the CPU used in the measured window.
func runPingPong(cfg config, res *result.Result) error {
	recordRSS(res, cfg.pid, &res.RSSBeforeKiB)
	res.Engine = cfg.engine
	var phase atomic.Int32
	start := startGoroutines
	if cfg.engine == engineEpoll {
		start = startEpoll
	}
	engine, err := start(cfg, &phase)
	if err != nil {
		return err
	}
	if ge, ok := engine.(*goroutineEngine); ok {
		res.TLS = describeTLS(ge.conns)
	}
	w := timeWindow(cfg, &phase)
	recordRSS(res, cfg.pid, &res.RSSAfterKiB)
	hist, requests, errs := engine.wait()

	countErrors(res, errs)
	res.Requests = requests
	window := w.end.at.Sub(w.begin.at).Seconds()
	res.WindowS = round3(window)
	res.ReqPerS = round2(float64(requests) / window)
	res.MBPerS = round2(float64(requests) * float64(cfg.size) / window / 1e6)
	res.Latency = &result.Latency{
		P50:  micros(hist.Quantile(0.50)),
		P99:  micros(hist.Quantile(0.99)),
		P999: micros(hist.Quantile(0.999)),
		Max:  micros(hist.Max()),
		Mean: micros(hist.Mean()),
	}
	recordCPU(res, w.begin, w.end, float64(requests), result.UnitRequest)
	recordSyscalls(res, w.syscalls, float64(requests), result.UnitRequest)
	return nil
}

// window is what timeWindow measured.
type window struct {
	// begin and end are the snapshots taken as the window started and ended.
	begin, end snapshot
	// syscalls holds the server's system calls over the window (nil
	// without -syscalls).
	syscalls *syscallCount
}

// timeWindow lets the load warm up, then records for cfg.duration, and
// returns the snapshots taken at the window's start and end and, with
// -syscalls, the server's system calls in between: perf starts before the
// warm-up, and its counter is enabled just before the first snapshot and
// disabled just after the last, so that it covers the window and only it,
// give or take perf's reaction time to each command (tens of µs when a
// core is free). The phase is phaseStop when it returns.
func timeWindow(cfg config, phase *atomic.Int32) window {
	var w window
	w.syscalls = startSyscallCount(cfg)
	sleepFor(cfg.warmup)
	w.syscalls.enable()
	w.begin = takeSnapshot(cfg.pid)
	phase.Store(phaseRecord)
	sleepFor(cfg.duration)
	phase.Store(phaseStop)
	w.end = takeSnapshot(cfg.pid)
	w.syscalls.finish()
	return w
}

// goroutineEngine is a ping-pong run with a goroutine per connection.
type goroutineEngine struct {
	conns   []duplexConn
	states  []*pingPongConn
	wg      sync.WaitGroup
	timeout time.Duration
}

// startGoroutines opens the connections (with -tls, completes their
// handshakes) and starts a goroutine on each.
func startGoroutines(cfg config, phase *atomic.Int32) (pingPongEngine, error) {
	conns, err := dialStreams(cfg)
	if err != nil {
		closeAll(conns)
		return nil, err
	}
	e := &goroutineEngine{conns: conns, states: make([]*pingPongConn, len(conns)), timeout: cfg.timeout}
	for i, c := range conns {
		st := &pingPongConn{conn: c, msg: pattern(cfg.size, i), buf: make([]byte, cfg.size)}
		e.states[i] = st
		e.wg.Go(func() { st.run(phase) })
	}
	return e, nil
}

// wait bounds the connections' last I/O, waits for their goroutines and
// merges what they recorded.
func (e *goroutineEngine) wait() (*Histogram, uint64, []error) {
	setDeadlines(e.conns, e.timeout)
	e.wg.Wait()
	var all Histogram
	var requests uint64
	errs := make([]error, len(e.states))
	for i, st := range e.states {
		all.Merge(&st.hist)
		requests += st.requests
		errs[i] = st.err
	}
	return &all, requests, errs
}

// run sends the message and waits for its echo until the phase is
// phaseStop, recording round trips while it is phaseRecord and checking
// every echo; then it checks that the server closes on EOF. It never allocates per message.
func (st *pingPongConn) run(phase *atomic.Int32) {
	last := time.Now()
	for {
		p := phase.Load()
		if p == phaseStop {
			break
		}
		if _, err := st.conn.Write(st.msg); err != nil {
			st.fail(fmt.Errorf("write: %w", err))
			return
		}
		if _, err := io.ReadFull(st.conn, st.buf); err != nil {
			st.fail(fmt.Errorf("read echo: %w", err))
			return
		}
		now := time.Now()
		if !bytes.Equal(st.buf, st.msg) {
			st.fail(fmt.Errorf("the echo differs from the %d bytes sent", len(st.msg)))
			return
		}
		if p == phaseRecord {
			st.hist.Record(now.Sub(last))
			st.requests++
		}
		last = now
	}
	st.err = closeAfterEOF(st.conn, st.buf)
}

// fail records err and closes the connection.
func (st *pingPongConn) fail(err error) {
	st.err = err
	st.conn.Close()
}

// dialStreams opens the ping-pong connections, over TLS with -tls.
func dialStreams(cfg config) ([]duplexConn, error) {
	if cfg.tls != nil {
		return dialAllTLS(cfg.addr, cfg.conns, cfg.tls, cfg.timeout)
	}
	tcp, err := dialAll(cfg.addr, cfg.conns, 1, false, cfg.timeout)
	conns := make([]duplexConn, len(tcp))
	for i, c := range tcp {
		conns[i] = c
	}
	return conns, err
}

// closeAll closes every connection.
func closeAll[C net.Conn](conns []C) {
	for _, c := range conns {
		c.Close()
	}
}
