package runtime

import (
	"errors"
	"fmt"
	"net"
	"os"

	"github.com/starnet-dev/starnet/loop"
	"github.com/starnet-dev/starnet/transports"
)

// Listener is a server the host started with Runtime.Listen: with several
// loops, one server per loop, all on the same address.
type Listener struct {
	parts []*listenerPart // by loop index
	addr  net.Addr
}

// listenerPart is a Listener's server on one loop.
type listenerPart struct {
	c      *loopCopy
	server *transports.Server
	addr   net.Addr // the server's first address
}

// Addr returns the address the listener accepts on (with the port the
// kernel chose for port 0). For a host that resolved to several addresses,
// it is the first.
func (ln *Listener) Addr() net.Addr { return ln.addr }

// Close stops accepting connections. As with asyncio's Server.close,
// connections already accepted stay open; Run's graceful shutdown and
// Runtime.Close close them. Closing twice, or after Runtime.Close, is
// harmless.
func (ln *Listener) Close() error {
	for _, part := range ln.parts {
		err := part.c.do(func() error {
			part.server.Close()
			return nil
		})
		if err != nil && !errors.Is(err, ErrClosed) {
			return err
		}
	}
	return nil
}

// Listen starts a server on the runtime's loop that makes a protocol with
// factory for each connection: a Starlark one (Module.ProtocolFactory) or a
// Go one. network is "tcp", "tcp4", "tcp6" (address "host:port"; an empty
// host means every interface, port 0 lets the kernel choose) or "unix"
// (address is the socket path). Listen is host-initiated: the script
// permissions do not apply. The server keeps Run from returning until it is
// closed.
//
// With several loops, Listen starts one server per loop and factory is
// called on the loop that accepted the connection. TCP servers bind with
// SO_REUSEPORT, so that the kernel spreads the connections over the loops;
// with port 0, loop 0's server gets a port from the kernel and the other
// loops bind that port. The loops' Unix servers share loop 0's socket.
// Called from a loop callback, Listen then fails at once: call it from
// another goroutine.
func (r *Runtime) Listen(network, address string, factory transports.ProtocolFactory) (*Listener, error) {
	if factory == nil {
		return nil, fmt.Errorf("starnet: listen %s %s: nil protocol factory", network, address)
	}
	spec, err := parseListenSpec(network, address)
	if err != nil {
		return nil, fmt.Errorf("starnet: listen %s %s: %w", network, address, err)
	}
	if r.multi() && r.callerCopy() != nil {
		return nil, fmt.Errorf("starnet: listen %s %s: the server is not ready yet; call Listen from another goroutine", network, address)
	}
	lead, err := r.copies[0].listen(func(l *loop.Loop) *loop.Future {
		return spec.create(l, factory, spec.port, nil, r.multi())
	})
	if err != nil {
		return nil, fmt.Errorf("starnet: listen %s %s: %w", network, address, err)
	}
	ln := &Listener{parts: []*listenerPart{lead}, addr: lead.addr}
	if !r.multi() {
		return ln, nil
	}
	if err := r.listenOthers(ln, spec, factory); err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("starnet: listen %s %s: %w", network, address, err)
	}
	return ln, nil
}

// listenOthers starts the servers of loops 1 and up, on loop 0's address:
// TCP servers on the port loop 0's server got, Unix servers on loop 0's
// socket.
func (r *Runtime) listenOthers(ln *Listener, spec listenSpec, factory transports.ProtocolFactory) error {
	port := spec.port
	var shared *os.File
	if spec.unix {
		lead := ln.parts[0]
		err := lead.c.do(func() (err error) {
			shared, err = dupListener(lead.server)
			return err
		})
		if err != nil {
			return err
		}
		defer shared.Close()
	} else if port == 0 {
		port = portOf(ln.addr)
	}
	others := r.copies[1:]
	parts := make([]*listenerPart, len(others))
	errs := r.onCopies(others, func(c *loopCopy) error {
		part, err := c.listen(func(l *loop.Loop) *loop.Future {
			return spec.create(l, factory, port, shared, true)
		})
		parts[c.index-1] = part
		return err
	})
	for _, part := range parts {
		if part != nil {
			ln.parts = append(ln.parts, part)
		}
	}
	return firstError(errs)
}

// listen creates a server with create on the copy's loop and records it
// as a listener part. It must not be called on the copy's own goroutine
// while the loop runs (the server would never be ready).
func (c *loopCopy) listen(create func(*loop.Loop) *loop.Future) (*listenerPart, error) {
	type outcome struct {
		part *listenerPart
		err  error
	}
	result := make(chan outcome, 1)
	err := c.do(func() error {
		c.whenDone(create(c.loop), func(v any, err error) {
			if err != nil {
				result <- outcome{nil, err}
				return
			}
			part, err := c.addListener(v)
			result <- outcome{part, err}
		})
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out outcome
	select {
	case out = <-result:
	default:
		if c.onOwner() {
			// Called from a loop callback: waiting here would stop the
			// loop that must complete the server.
			return nil, errors.New("the server is not ready yet; call Listen from another goroutine")
		}
		select {
		case out = <-result:
		case <-c.ownerDone:
			return nil, ErrClosed
		}
	}
	return out.part, out.err
}

// addListener records a newly created server as a listener part; it runs on
// the owner goroutine.
func (c *loopCopy) addListener(v any) (*listenerPart, error) {
	server, ok := v.(*transports.Server)
	if !ok || server == nil {
		return nil, fmt.Errorf("unexpected server value %T", v)
	}
	addrs := server.Addrs()
	if len(addrs) == 0 {
		server.Close()
		return nil, errors.New("the server has no address")
	}
	part := &listenerPart{c: c, server: server, addr: addrs[0]}
	c.own.listeners[part] = struct{}{}
	// The env's Shutdown (exit(), signals) then stops it accepting too.
	c.env.TrackServer(server)
	return part, nil
}

// closeListeners closes every host listener of the copy; with abort, their
// connections are aborted, else closed gracefully. It returns futures that
// are done when each server and its connections are closed.
func (c *loopCopy) closeListeners(abort bool) []*loop.Future {
	var waits []*loop.Future
	for part := range c.own.listeners {
		delete(c.own.listeners, part)
		part.server.Close()
		if abort {
			part.server.AbortClients()
			continue
		}
		part.server.CloseClients()
		waits = append(waits, part.server.WaitClosed())
	}
	return waits
}

// listenSpec is a checked Listen address.
type listenSpec struct {
	unix bool
	host string // TCP: the host transports.CreateServer takes
	port int    // TCP: the port asked for
	path string // Unix: the socket path
}

// create starts the server on l: on port (TCP, SO_REUSEPORT if reusePort),
// or on path, or — given shared — on that already listening socket.
func (s listenSpec) create(l *loop.Loop, factory transports.ProtocolFactory, port int, shared *os.File, reusePort bool) *loop.Future {
	if s.unix {
		if shared != nil {
			return transports.CreateUnixServer(l, factory, "", transports.ListenOptions{File: shared})
		}
		return transports.CreateUnixServer(l, factory, s.path, transports.ListenOptions{})
	}
	return transports.CreateServer(l, factory, s.host, port, transports.ListenOptions{ReusePort: reusePort})
}

// parseListenSpec checks network and address. TCP names are resolved here,
// on the caller's goroutine, so that tcp4 and tcp6 get an address of their
// family.
func parseListenSpec(network, address string) (listenSpec, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
		host, port, err := tcpListenTarget(network, address)
		if err != nil {
			return listenSpec{}, err
		}
		return listenSpec{host: host, port: port}, nil
	case "unix":
		if address == "" {
			return listenSpec{}, errors.New("empty socket path")
		}
		return listenSpec{unix: true, path: address}, nil
	default:
		return listenSpec{}, fmt.Errorf("unsupported network %q (want tcp, tcp4, tcp6 or unix)", network)
	}
}

// tcpListenTarget resolves a "host:port" listen address to the host string
// and port transports.CreateServer takes.
func tcpListenTarget(network, address string) (string, int, error) {
	a, err := net.ResolveTCPAddr(network, address)
	if err != nil {
		return "", 0, err
	}
	switch {
	case a.IP != nil:
		host := a.IP.String()
		if a.Zone != "" {
			host += "%" + a.Zone
		}
		return host, a.Port, nil
	case network == "tcp4":
		return "0.0.0.0", a.Port, nil
	case network == "tcp6":
		return "::", a.Port, nil
	default:
		return "", a.Port, nil
	}
}
