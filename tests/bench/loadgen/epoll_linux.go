//go:build linux

package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	goruntime "runtime"
	"sync/atomic"
	"syscall"
	"time"
)

// defaultEngine is the ping-pong engine used unless -engine says otherwise.
const defaultEngine = engineEpoll

// epollEngine is a ping-pong run on the epoll engine.
type epollEngine struct {
	conns    []*epollConn
	hist     Histogram
	requests uint64
	err      error
	done     chan struct{}
}

// startEpoll opens the connections and starts the epoll engine on its own
// OS thread.
func startEpoll(cfg config, phase *atomic.Int32) (pingPongEngine, error) {
	e := &epollEngine{done: make(chan struct{})}
	for i := range cfg.conns {
		c, err := dialRaw(cfg.addr, cfg.size, i, cfg.timeout)
		if err != nil {
			for _, c := range e.conns {
				c.close()
			}
			return nil, fmt.Errorf("connection %d of %d: %w", i+1, cfg.conns, err)
		}
		e.conns = append(e.conns, c)
	}
	go func() {
		defer close(e.done)
		e.err = pingPongEpoll(e.conns, phase, &e.hist, &e.requests, cfg.timeout)
	}()
	return e, nil
}

// wait waits for the engine to finish and returns what it measured.
func (e *epollEngine) wait() (*Histogram, uint64, []error) {
	<-e.done
	if e.err != nil {
		for _, c := range e.conns {
			c.close()
		}
		return &e.hist, e.requests, []error{e.err}
	}
	errs := make([]error, len(e.conns))
	for i, c := range e.conns {
		errs[i] = c.err
	}
	return &e.hist, e.requests, errs
}

// epollConn is one connection of the epoll engine.
type epollConn struct {
	fd       int
	msg, buf []byte
	got      int       // bytes of the current echo received
	sent     time.Time // when the current message was written
	done     bool      // failed or stopped
	blocking bool      // in blocking mode, after the run
	err      error
}

// pingPongEpoll drives every connection from one OS thread with epoll and
// non-blocking sockets: a round trip costs exactly one write and (usually)
// one read, with no failed read and no goroutine switch, which leaves more
// of the client's core to the load itself. It runs until phase is
// phaseStop, recording while it is phaseRecord, then checks that the server
// closes each connection on EOF.
func pingPongEpoll(conns []*epollConn, phase *atomic.Int32, hist *Histogram, requests *uint64, timeout time.Duration) error {
	goruntime.LockOSThread()
	defer goruntime.UnlockOSThread()
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return fmt.Errorf("epoll_create1: %w", err)
	}
	defer syscall.Close(epfd)
	byFD := make(map[int32]*epollConn, len(conns))
	for _, c := range conns {
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(c.fd)}
		if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, c.fd, &ev); err != nil {
			return fmt.Errorf("epoll_ctl: %w", err)
		}
		byFD[int32(c.fd)] = c
		c.send(time.Now(), timeout)
	}
	events := make([]syscall.EpollEvent, len(conns))
	for phase.Load() != phaseStop {
		n, err := syscall.EpollWait(epfd, events, 100)
		if err != nil {
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			return fmt.Errorf("epoll_wait: %w", err)
		}
		recording := phase.Load() == phaseRecord
		for _, ev := range events[:n] {
			c := byFD[ev.Fd]
			if !c.receive() {
				continue
			}
			now := time.Now()
			if recording {
				hist.Record(now.Sub(c.sent))
				*requests++
			}
			c.send(now, timeout)
		}
	}
	deadline := time.Now().Add(timeout)
	for _, c := range conns {
		if !c.done {
			c.finish(deadline)
		}
	}
	return nil
}

// dialRaw opens a TCP connection to addr within timeout and makes it
// non-blocking, with TCP_NODELAY as Go and asyncio set it.
func dialRaw(addr string, size, index int, timeout time.Duration) (*epollConn, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		tcp, rerr := net.ResolveTCPAddr("tcp", addr)
		if rerr != nil {
			return nil, fmt.Errorf("resolve %s: %w", addr, rerr)
		}
		ap = tcp.AddrPort()
	}
	family, sa := syscall.AF_INET, syscall.Sockaddr(nil)
	if ap.Addr().Unmap().Is4() {
		sa = &syscall.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().Unmap().As4()}
	} else {
		family = syscall.AF_INET6
		sa = &syscall.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
	}
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("socket: %w", err)
	}
	// Linux bounds a blocking connect by the send timeout.
	if err := setBlocking(fd, timeout); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	if err := syscall.Connect(fd, sa); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("TCP_NODELAY: %w", err)
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("set non-blocking: %w", err)
	}
	return &epollConn{fd: fd, msg: pattern(size, index), buf: make([]byte, size)}, nil
}

// send writes the next message, stamped as sent at now. The socket's
// buffer is empty (at most one message is in flight), so the write completes
// unless the server stopped reading; then it is finished in blocking mode.
func (c *epollConn) send(now time.Time, timeout time.Duration) {
	c.got = 0
	c.sent = now
	n, err := syscall.Write(c.fd, c.msg)
	switch {
	case n == len(c.msg):
		return
	case err != nil && !errors.Is(err, syscall.EAGAIN) && !errors.Is(err, syscall.EINTR):
		c.fail(fmt.Errorf("write: %w", err))
		return
	}
	if err := c.writeBlocking(c.msg[max(n, 0):], timeout); err != nil {
		c.fail(err)
	}
}

// writeBlocking writes b with the socket in blocking mode, giving up after
// timeout, and makes the socket non-blocking again.
func (c *epollConn) writeBlocking(b []byte, timeout time.Duration) error {
	if err := setBlocking(c.fd, timeout); err != nil {
		return err
	}
	for len(b) > 0 {
		n, err := syscall.Write(c.fd, b)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("write: %w", err)
		}
		b = b[n:]
	}
	if err := syscall.SetNonblock(c.fd, true); err != nil {
		return fmt.Errorf("set non-blocking: %w", err)
	}
	return nil
}

// receive reads what has arrived and reports whether the whole echo has.
// In blocking mode (see setBlocking) EAGAIN means the timeout passed.
func (c *epollConn) receive() bool {
	if c.done {
		return false
	}
	n, err := syscall.Read(c.fd, c.buf[c.got:])
	switch {
	case errors.Is(err, syscall.EINTR):
		return false
	case errors.Is(err, syscall.EAGAIN) && c.blocking:
		c.fail(errors.New("read echo: no reply in time"))
		return false
	case errors.Is(err, syscall.EAGAIN):
		return false
	case err != nil:
		c.fail(fmt.Errorf("read echo: %w", err))
		return false
	case n == 0:
		c.fail(errors.New("read echo: the server closed the connection"))
		return false
	}
	c.got += n
	if c.got < len(c.buf) {
		return false
	}
	if !bytes.Equal(c.buf, c.msg) {
		c.fail(fmt.Errorf("the echo differs from the %d bytes sent", len(c.msg)))
		return false
	}
	return true
}

// finish waits for the echo in flight, half-closes, and checks that the
// server sends nothing more and closes, all before deadline; then closes
// the socket.
func (c *epollConn) finish(deadline time.Time) {
	defer c.close()
	if err := setBlocking(c.fd, max(time.Until(deadline), time.Millisecond)); err != nil {
		c.err = err
		return
	}
	c.blocking = true
	for c.got < len(c.buf) && !c.done {
		if c.receive() {
			break
		}
	}
	if c.done {
		return
	}
	if err := syscall.Shutdown(c.fd, syscall.SHUT_WR); err != nil {
		c.err = fmt.Errorf("half-close: %w", err)
		return
	}
	var one [1]byte
	for {
		n, err := syscall.Read(c.fd, one[:])
		switch {
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EAGAIN):
			c.err = errors.New("server did not close after EOF: no EOF in time")
		case err != nil:
			c.err = fmt.Errorf("server did not close after EOF: %w", err)
		case n > 0:
			c.err = errors.New("server sent unexpected bytes after the last echo")
		}
		return
	}
}

// fail records err and closes the connection.
func (c *epollConn) fail(err error) {
	c.err = err
	c.close()
}

// close closes the socket once.
func (c *epollConn) close() {
	if c.fd >= 0 {
		syscall.Close(c.fd)
		c.fd = -1
	}
	c.done = true
}

// setBlocking puts fd in blocking mode, with reads and writes that fail
// with EAGAIN after timeout.
func setBlocking(fd int, timeout time.Duration) error {
	if err := syscall.SetNonblock(fd, false); err != nil {
		return fmt.Errorf("set blocking: %w", err)
	}
	tv := syscall.NsecToTimeval(timeout.Nanoseconds())
	for _, opt := range []int{syscall.SO_RCVTIMEO, syscall.SO_SNDTIMEO} {
		if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, opt, &tv); err != nil {
			return fmt.Errorf("socket timeout: %w", err)
		}
	}
	return nil
}
