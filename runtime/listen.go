package runtime

import (
	"errors"
	"fmt"
	"net"

	"github.com/starnet-dev/starnet/loop"
	"github.com/starnet-dev/starnet/transports"
)

// Listener is a server the host started with Runtime.Listen.
type Listener struct {
	rt     *Runtime
	server *transports.Server
	addr   net.Addr
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
	err := ln.rt.do(func() error {
		ln.server.Close()
		return nil
	})
	if errors.Is(err, ErrClosed) {
		return nil
	}
	return err
}

// Listen starts a server on the runtime's loop that makes a protocol with
// factory for each connection: a Starlark one (Module.ProtocolFactory) or a
// Go one. network is "tcp", "tcp4", "tcp6" (address "host:port"; an empty
// host means every interface, port 0 lets the kernel choose) or "unix"
// (address is the socket path). Listen is host-initiated: the script
// permissions do not apply. The server keeps Run from returning until it is
// closed.
func (r *Runtime) Listen(network, address string, factory transports.ProtocolFactory) (*Listener, error) {
	if factory == nil {
		return nil, fmt.Errorf("starnet: listen %s %s: nil protocol factory", network, address)
	}
	create, err := serverCreator(network, address)
	if err != nil {
		return nil, fmt.Errorf("starnet: listen %s %s: %w", network, address, err)
	}
	type outcome struct {
		ln  *Listener
		err error
	}
	result := make(chan outcome, 1)
	err = r.do(func() error {
		fut := create(r.loop, factory)
		r.whenDone(fut, func(v any, err error) {
			if err != nil {
				result <- outcome{nil, err}
				return
			}
			ln, err := r.addListener(v)
			result <- outcome{ln, err}
		})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("starnet: listen %s %s: %w", network, address, err)
	}
	var out outcome
	select {
	case out = <-result:
	default:
		if r.onOwner() {
			// Called from a loop callback: waiting here would stop the
			// loop that must complete the server.
			return nil, fmt.Errorf("starnet: listen %s %s: the server is not ready yet; call Listen from another goroutine", network, address)
		}
		select {
		case out = <-result:
		case <-r.ownerDone:
			return nil, ErrClosed
		}
	}
	if out.err != nil {
		return nil, fmt.Errorf("starnet: listen %s %s: %w", network, address, out.err)
	}
	return out.ln, nil
}

// addListener records a newly created server as a Listener; it runs on the
// owner goroutine.
func (r *Runtime) addListener(v any) (*Listener, error) {
	server, ok := v.(*transports.Server)
	if !ok || server == nil {
		return nil, fmt.Errorf("unexpected server value %T", v)
	}
	addrs := server.Addrs()
	if len(addrs) == 0 {
		server.Close()
		return nil, errors.New("the server has no address")
	}
	ln := &Listener{rt: r, server: server, addr: addrs[0]}
	r.own.listeners[ln] = struct{}{}
	// The env's Shutdown (exit(), signals) then stops it accepting too.
	r.env.TrackServer(server)
	return ln, nil
}

// closeListeners closes every host listener; with abort, their connections
// are aborted, else closed gracefully. It returns futures that are done when
// each server and its connections are closed.
func (r *Runtime) closeListeners(abort bool) []*loop.Future {
	var waits []*loop.Future
	for ln := range r.own.listeners {
		delete(r.own.listeners, ln)
		ln.server.Close()
		if abort {
			ln.server.AbortClients()
			continue
		}
		ln.server.CloseClients()
		waits = append(waits, ln.server.WaitClosed())
	}
	return waits
}

// serverCreator checks network and address and returns the transports call
// that creates the server. TCP names are resolved here, on the caller's
// goroutine, so that tcp4 and tcp6 get an address of their family.
func serverCreator(network, address string) (func(*loop.Loop, transports.ProtocolFactory) *loop.Future, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
		host, port, err := tcpListenTarget(network, address)
		if err != nil {
			return nil, err
		}
		return func(l *loop.Loop, f transports.ProtocolFactory) *loop.Future {
			return transports.CreateServer(l, f, host, port, transports.ListenOptions{})
		}, nil
	case "unix":
		if address == "" {
			return nil, errors.New("empty socket path")
		}
		return func(l *loop.Loop, f transports.ProtocolFactory) *loop.Future {
			return transports.CreateUnixServer(l, f, address, transports.ListenOptions{})
		}, nil
	default:
		return nil, fmt.Errorf("unsupported network %q (want tcp, tcp4, tcp6 or unix)", network)
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
