package runtime

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"

	"github.com/starnet-dev/starnet/loop"
	"github.com/starnet-dev/starnet/transports"
	"golang.org/x/sys/unix"
)

// portShare lets the copies of a script on several loops serve on the same
// addresses. TCP servers bind with SO_REUSEPORT, so every copy can bind an
// explicit port. For port 0, loop 0's server is the reference: the k-th
// create_server(host=H, port=0) call of another loop binds the port that
// loop 0's k-th call for H got (it waits for that server if it is not
// there yet). Unix servers cannot share a path: the k-th
// create_unix_server(path=P) of another loop serves on loop 0's socket for
// its k-th call for P. If loop 0's server failed, the other loop binds on
// its own.
type portShare struct {
	loops int

	mu      sync.Mutex
	calls   []map[string]int // per loop: port-0 or Unix server calls so far, by network and address
	entries map[shareKey]*shareEntry
	closed  bool
}

// shareKey names the seq-th server call of a loop for an address.
type shareKey struct {
	addr string // "tcp host" or "unix path"
	seq  int
}

// share is what loop 0's server gives the other loops.
type share struct {
	port int      // TCP: its port, 0 if it failed
	file *os.File // Unix: a duplicate of its listening socket, nil if it failed
}

// shareEntry is loop 0's server for one key, once known, and the other
// loops waiting for it.
type shareEntry struct {
	done    bool
	share   share
	waiters []func()
	taken   int // how many other loops used it
}

func newPortShare(loops int) *portShare {
	ps := &portShare{loops: loops, calls: make([]map[string]int, loops), entries: map[shareKey]*shareEntry{}}
	for i := range ps.calls {
		ps.calls[i] = map[string]int{}
	}
	return ps
}

// serverCreator is copy c's replacement for transports.CreateServer in
// loop.create_server.
func (ps *portShare) serverCreator(c *loopCopy) func(*loop.Loop, transports.ProtocolFactory, string, int, transports.ListenOptions) *loop.Future {
	return func(l *loop.Loop, factory transports.ProtocolFactory, host string, port int, opts transports.ListenOptions) *loop.Future {
		opts.ReusePort = true
		if port != 0 {
			return transports.CreateServer(l, factory, host, port, opts)
		}
		key := ps.nextKey(c.index, "tcp "+host)
		if c.index == 0 {
			fut := transports.CreateServer(l, factory, host, 0, opts)
			fut.AddDoneCallback(func(fut *loop.Future) { ps.publish(key, tcpShare(fut)) })
			return fut
		}
		return ps.follow(c, key, func(sh share) *loop.Future {
			return transports.CreateServer(l, factory, host, sh.port, opts)
		})
	}
}

// unixServerCreator is copy c's replacement for transports.CreateUnixServer
// in loop.create_unix_server.
func (ps *portShare) unixServerCreator(c *loopCopy) func(*loop.Loop, transports.ProtocolFactory, string, transports.ListenOptions) *loop.Future {
	return func(l *loop.Loop, factory transports.ProtocolFactory, path string, opts transports.ListenOptions) *loop.Future {
		key := ps.nextKey(c.index, "unix "+path)
		if c.index == 0 {
			fut := transports.CreateUnixServer(l, factory, path, opts)
			fut.AddDoneCallback(func(fut *loop.Future) { ps.publish(key, unixShare(fut)) })
			return fut
		}
		return ps.follow(c, key, func(sh share) *loop.Future {
			if sh.file == nil {
				return transports.CreateUnixServer(l, factory, path, opts)
			}
			opts.File = sh.file // the server takes a duplicate at once
			return transports.CreateUnixServer(l, factory, "", opts)
		})
	}
}

// nextKey counts a server call of loop i for addr and returns its key.
func (ps *portShare) nextKey(i int, addr string) shareKey {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	seq := ps.calls[i][addr]
	ps.calls[i][addr] = seq + 1
	return shareKey{addr: addr, seq: seq}
}

// entry returns (making) the entry of key; ps.mu must be held.
func (ps *portShare) entry(key shareKey) *shareEntry {
	e, ok := ps.entries[key]
	if !ok {
		e = &shareEntry{}
		ps.entries[key] = e
	}
	return e
}

// publish records loop 0's server for key and hands it to the loops
// waiting for it. It runs on loop 0's goroutine.
func (ps *portShare) publish(key shareKey, sh share) {
	ps.mu.Lock()
	if ps.closed {
		ps.mu.Unlock()
		closeShare(sh)
		return
	}
	e := ps.entry(key)
	e.done, e.share = true, sh
	waiters := e.waiters
	e.waiters = nil
	ps.mu.Unlock()
	for _, w := range waiters {
		w()
	}
}

// follow starts copy c's server for key with use, given loop 0's server:
// at once if it is known, else when it is. The returned future (of c's
// loop) is the server's.
func (ps *portShare) follow(c *loopCopy, key shareKey, use func(share) *loop.Future) *loop.Future {
	ps.mu.Lock()
	e := ps.entry(key)
	if e.done {
		defer ps.mu.Unlock()
		return ps.take(key, e, use)
	}
	out := c.loop.NewFuture()
	e.waiters = append(e.waiters, func() {
		c.post(func() { ps.takeLater(c, key, e, use, out) })
	})
	ps.mu.Unlock()
	return out
}

// takeLater runs on copy c's loop once loop 0's server is known: it starts
// c's server, unless the script cancelled out meanwhile or the runtime is
// closing, and completes out as that server's future completes.
func (ps *portShare) takeLater(c *loopCopy, key shareKey, e *shareEntry, use func(share) *loop.Future, out *loop.Future) {
	if c.isClosing() {
		return
	}
	ps.mu.Lock()
	if out.Done() || ps.closed {
		ps.mu.Unlock()
		return
	}
	inner := ps.take(key, e, use)
	ps.mu.Unlock()
	inner.AddDoneCallback(func(inner *loop.Future) {
		switch {
		case out.Done():
		case inner.Cancelled():
			out.Cancel()
		default:
			if v, err := inner.Result(); err != nil {
				_ = out.SetException(err)
			} else {
				_ = out.SetResult(v)
			}
		}
	})
	out.AddDoneCallback(func(out *loop.Future) {
		if out.Cancelled() {
			inner.Cancel()
		}
	})
}

// take starts a server of another loop with loop 0's share; ps.mu must be
// held (the share's file stays open while use duplicates it). Once every
// other loop took it, the entry goes.
func (ps *portShare) take(key shareKey, e *shareEntry, use func(share) *loop.Future) *loop.Future {
	fut := use(e.share)
	e.taken++
	if e.taken == ps.loops-1 {
		delete(ps.entries, key)
		closeShare(e.share)
	}
	return fut
}

// abandon forgets every entry and closes their sockets; it runs when loop
// 0's copy closes. Loops still waiting keep waiting: they are closing too.
func (ps *portShare) abandon() {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.closed = true
	for key, e := range ps.entries {
		delete(ps.entries, key)
		closeShare(e.share)
	}
}

// tcpShare is what loop 0's finished create_server future gives the others.
func tcpShare(fut *loop.Future) share {
	v, err := fut.Result()
	if s, ok := v.(*transports.Server); ok && err == nil {
		if addrs := s.Addrs(); len(addrs) > 0 {
			return share{port: portOf(addrs[0])}
		}
	}
	return share{}
}

// unixShare is what loop 0's finished create_unix_server future gives the
// others.
func unixShare(fut *loop.Future) share {
	v, err := fut.Result()
	if s, ok := v.(*transports.Server); ok && err == nil {
		if f, err := dupListener(s); err == nil {
			return share{file: f}
		}
	}
	return share{}
}

func closeShare(sh share) {
	if sh.file != nil {
		_ = sh.file.Close()
	}
}

// dupListener duplicates the first listening socket of s as a file; call it
// on s's loop.
func dupListener(s *transports.Server) (*os.File, error) {
	socks := s.Sockets()
	if len(socks) == 0 {
		return nil, errors.New("the server has no socket")
	}
	fd, err := unix.FcntlInt(uintptr(socks[0].Fileno()), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("share the listening socket: %w", err)
	}
	return os.NewFile(uintptr(fd), "listener"), nil
}

// portOf returns the port of a TCP address (0 for any other).
func portOf(addr net.Addr) int {
	if a, ok := addr.(*net.TCPAddr); ok {
		return a.Port
	}
	return 0
}
