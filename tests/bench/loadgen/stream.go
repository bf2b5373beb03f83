package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"

	"github.com/starnet-dev/starnet/tests/bench/internal/result"
)

// streamReadSize is the size of each connection's read buffer in stream mode.
const streamReadSize = 256 * 1024

// streamConn is one streaming connection's state; its reader and writer
// goroutines each own their fields until the run's WaitGroup is done.
type streamConn struct {
	conn     *net.TCPConn
	chunk    []byte
	written  uint64 // writer's
	read     uint64 // reader's: every byte echoed
	recorded uint64 // reader's: bytes echoed in the measured window
	werr     error
	err      error
}

// runStream drives cfg.conns connections that each write cfg.size-byte
// chunks continuously while reading the echo, and fills res with the echoed
// MB/s and the CPU used in the measured window.
func runStream(cfg config, res *result.Result) error {
	recordRSS(res, cfg.pid, &res.RSSBeforeKiB)
	conns, err := dialAll(cfg.addr, cfg.conns, 1, false, cfg.timeout)
	if err != nil {
		closeAll(conns)
		return err
	}
	states := make([]*streamConn, len(conns))
	var phase atomic.Int32
	var wg sync.WaitGroup
	for i, c := range conns {
		st := &streamConn{conn: c, chunk: pattern(cfg.size, i)}
		states[i] = st
		wg.Go(func() { st.run(&phase) })
	}

	w := timeWindow(cfg, &phase)
	recordRSS(res, cfg.pid, &res.RSSAfterKiB)
	setDeadlines(conns, cfg.timeout)
	wg.Wait()

	var recorded uint64
	errs := make([]error, len(states))
	for i, st := range states {
		recorded += st.recorded
		errs[i] = st.err
	}
	countErrors(res, errs)
	window := w.end.at.Sub(w.begin.at).Seconds()
	res.WindowS = round3(window)
	mb := float64(recorded) / 1e6
	res.MBPerS = round2(mb / window)
	recordCPU(res, w.begin, w.end, mb, result.UnitMB)
	recordSyscalls(res, w.syscalls, mb, result.UnitMB)
	return nil
}

// run reads the echo on the calling goroutine while a second goroutine
// writes; once the phase is phaseStop the writer half-closes, and the reader
// drains the echo to EOF and checks that every byte written came back.
func (st *streamConn) run(phase *atomic.Int32) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		st.write(phase)
	}()
	readErr := st.readAll(phase)
	if readErr != nil {
		st.conn.Close() // unblocks the writer
	}
	<-done
	st.conn.Close()
	switch {
	case st.werr != nil:
		st.err = st.werr
	case readErr != nil:
		st.err = readErr
	case st.read != st.written:
		st.err = fmt.Errorf("the server echoed %d bytes of the %d written", st.read, st.written)
	}
}

// write sends chunks until the phase is phaseStop, then half-closes.
func (st *streamConn) write(phase *atomic.Int32) {
	for phase.Load() != phaseStop {
		n, err := st.conn.Write(st.chunk)
		st.written += uint64(n)
		if err != nil {
			st.werr = fmt.Errorf("write: %w", err)
			return
		}
	}
	if err := st.conn.CloseWrite(); err != nil {
		st.werr = fmt.Errorf("half-close: %w", err)
	}
}

// readAll reads until the server closes, counting what arrives while the
// phase is phaseRecord.
func (st *streamConn) readAll(phase *atomic.Int32) error {
	buf := make([]byte, streamReadSize)
	for {
		n, err := st.conn.Read(buf)
		st.read += uint64(n)
		if phase.Load() == phaseRecord {
			st.recorded += uint64(n)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read echo: %w", err)
		}
	}
}
