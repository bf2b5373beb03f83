package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/starnet-dev/starnet/tests/bench/internal/result"
)

// Phases of a timed run, shared by the connection goroutines.
const (
	phaseWarmup int32 = iota // load runs, nothing is counted
	phaseRecord              // load runs and is counted
	phaseStop                // connections finish and close
)

// dialAll opens n connections to addr, workers at a time. With verify,
// each proves the server accepted it by echoing one byte. It returns the
// connections opened so far with the first error.
func dialAll(addr string, n, workers int, verify bool, timeout time.Duration) ([]*net.TCPConn, error) {
	conns := make([]*net.TCPConn, n)
	var next atomic.Int64
	var failed atomic.Bool
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			for !failed.Load() {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				c, err := dialOne(addr, verify, timeout)
				if err != nil {
					failed.Store(true)
					errs <- fmt.Errorf("connection %d of %d: %w", i+1, n, err)
					return
				}
				conns[i] = c
			}
		})
	}
	wg.Wait()
	close(errs)
	opened := conns[:0]
	for _, c := range conns {
		if c != nil {
			opened = append(opened, c)
		}
	}
	return opened, <-errs
}

// dialOne opens one connection, and with verify echoes one byte over it.
func dialOne(addr string, verify bool, timeout time.Duration) (*net.TCPConn, error) {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	tc := c.(*net.TCPConn)
	if !verify {
		return tc, nil
	}
	if err := echoOneByte(tc, timeout); err != nil {
		tc.Close()
		return nil, err
	}
	return tc, nil
}

// echoOneByte sends one byte and waits for it to come back.
func echoOneByte(c *net.TCPConn, timeout time.Duration) error {
	if err := c.SetDeadline(time.Now().Add(timeout)); err != nil {
		return fmt.Errorf("set deadline: %w", err)
	}
	var b [1]byte
	b[0] = '\n' // a line, for line echo servers too
	if _, err := c.Write(b[:]); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if _, err := io.ReadFull(c, b[:]); err != nil {
		return fmt.Errorf("read echo: %w", err)
	}
	if b[0] != '\n' {
		return fmt.Errorf("echo returned %q, sent a newline", b[0])
	}
	return c.SetDeadline(time.Time{})
}

// duplexConn is a connection the ping-pong goroutines drive: a
// *net.TCPConn, or a *tls.Conn whose CloseWrite sends close_notify.
type duplexConn interface {
	net.Conn
	CloseWrite() error
}

// closeAfterEOF half-closes c, checks that the server sends nothing more
// and closes its side (the echo protocol closes on EOF), then closes c.
// buf is scratch space.
func closeAfterEOF(c duplexConn, buf []byte) error {
	defer c.Close()
	if err := c.CloseWrite(); err != nil {
		return fmt.Errorf("half-close: %w", err)
	}
	n, err := io.ReadFull(c, buf[:1])
	switch {
	case n > 0:
		return fmt.Errorf("server sent %d unexpected byte(s) after the last echo", n)
	case errors.Is(err, io.EOF):
		return nil
	default:
		return fmt.Errorf("server did not close after EOF: %w", err)
	}
}

// setDeadlines bounds every pending and future I/O on conns.
func setDeadlines[C net.Conn](conns []C, d time.Duration) {
	deadline := time.Now().Add(d)
	for _, c := range conns {
		_ = c.SetDeadline(deadline)
	}
}

// countErrors records the failed connections in res.
func countErrors(res *result.Result, errs []error) {
	for _, err := range errs {
		if err == nil {
			continue
		}
		res.Errors++
		if res.FirstError == "" {
			res.FirstError = err.Error()
		}
	}
}

// pattern returns n bytes of a recognisable pattern that differs per
// connection, ending in a newline.
func pattern(n, conn int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + (i+conn)%26)
	}
	if n > 0 {
		b[n-1] = '\n' // a line, for line echo servers (stream_echo_server.star) too
	}
	return b
}

// sleepFor waits d: the length of a load phase, not a synchronisation.
func sleepFor(d time.Duration) {
	if d > 0 {
		time.Sleep(d)
	}
}
