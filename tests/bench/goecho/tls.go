package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"

	"github.com/starnet-dev/starnet/loop"
	"github.com/starnet-dev/starnet/transports"
)

// tlsFlag reads a leading "-tls CERT KEY" into a server configuration
// (nil without it) and returns the arguments after it.
func tlsFlag(args []string) (*tls.Config, []string, error) {
	if len(args) == 0 || args[0] != "-tls" {
		return nil, args, nil
	}
	if len(args) < 3 {
		return nil, nil, errors.New("usage: goecho [-tls CERT KEY] [PORT [HOST]]")
	}
	cert, err := tls.LoadX509KeyPair(args[1], args[2])
	if err != nil {
		return nil, nil, fmt.Errorf("-tls: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}}, args[3:], nil
}

// serveTLS serves the echo protocol over TLS on one event loop until
// SIGINT or SIGTERM, then closes the server and its clients.
func serveTLS(addr string, cfg *tls.Config) error {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %s: %w", addr, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return fmt.Errorf("port %q: %w", portText, err)
	}
	l, err := loop.New(loop.Options{})
	if err != nil {
		return fmt.Errorf("new loop: %w", err)
	}
	defer l.Close()
	v, err := l.RunUntilComplete(transports.CreateServer(l, func() (transports.BaseProtocol, error) { return &echo{}, nil },
		host, port, transports.ListenOptions{TLS: cfg}))
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	srv := v.(*transports.Server)
	fmt.Printf("listening on %s\n", srv.Addrs()[0])
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		if err := l.AddSignalHandler(sig, l.Stop); err != nil {
			return fmt.Errorf("signal handler: %w", err)
		}
	}
	runErr := l.RunForever()
	srv.Close()
	srv.AbortClients()
	if runErr != nil {
		return fmt.Errorf("run: %w", runErr)
	}
	return nil
}
