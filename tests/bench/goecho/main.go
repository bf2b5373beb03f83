// Command goecho is starnet's echo server with a Go protocol: the starnet
// runtime's event loop and transports, without Starlark. It sends back every
// byte it receives and closes a connection on EOF, as the Starlark
// scripts/echo_server.star does, so the two show what Starlark costs.
//
//	goecho [-tls CERT KEY] [PORT [HOST]]
//
// With -tls it serves TLS with the PEM certificate chain CERT and private
// key KEY: the transports package's TLS layer (transports.ListenOptions.TLS)
// on one event loop, since the runtime's Listen has no TLS option yet.
// PORT defaults to 0 (the kernel chooses), HOST to 127.0.0.1. It prints
// "listening on HOST:PORT" once it accepts, and shuts down gracefully on
// SIGINT or SIGTERM.
package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

	starnet "github.com/starnet-dev/starnet/runtime"
	"github.com/starnet-dev/starnet/transports"
)

// echo is the Go protocol: it writes back each chunk it receives.
type echo struct{ t transports.Transport }

// ConnectionMade keeps the transport to write to.
func (p *echo) ConnectionMade(t transports.BaseTransport) { p.t = t.(transports.Transport) }

// DataReceived writes data back; the transport copies what it must buffer.
func (p *echo) DataReceived(data []byte) { _ = p.t.Write(data) }

// EOFReceived returns false: the transport closes after flushing.
func (p *echo) EOFReceived() bool { return false }

// ConnectionLost needs no clean-up.
func (p *echo) ConnectionLost(err error) {}

// PauseWriting is ignored, as in the Starlark and Python echo servers.
func (p *echo) PauseWriting() {}

// ResumeWriting is ignored.
func (p *echo) ResumeWriting() {}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "goecho:", err)
		os.Exit(1)
	}
}

// run serves the echo protocol until a signal arrives.
func run(args []string) error {
	tlsCfg, args, err := tlsFlag(args)
	if err != nil {
		return err
	}
	addr, err := listenAddress(args)
	if err != nil {
		return err
	}
	if tlsCfg != nil {
		return serveTLS(addr, tlsCfg)
	}
	rt, err := starnet.New(starnet.Config{Permissions: starnet.AllowAll()})
	if err != nil {
		return fmt.Errorf("new runtime: %w", err)
	}
	defer rt.Close()
	ln, err := rt.Listen("tcp", addr, func() (transports.BaseProtocol, error) { return &echo{}, nil })
	if err != nil {
		return err
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := rt.Run(ctx); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	return nil
}

// listenAddress builds host:port from the optional PORT and HOST arguments.
func listenAddress(args []string) (string, error) {
	port, host := "0", "127.0.0.1"
	if len(args) > 2 {
		return "", fmt.Errorf("usage: goecho [-tls CERT KEY] [PORT [HOST]]")
	}
	if len(args) > 0 {
		port = args[0]
	}
	if len(args) > 1 {
		host = args[1]
	}
	return net.JoinHostPort(host, port), nil
}
