// Command stdecho is the Go standard library's echo server for starnet's
// benchmarks: a goroutine per connection, blocking reads and writes, and a
// 32 KiB buffer per connection (io.Copy's size). It sends back every byte it
// receives and closes a connection on EOF.
//
//	stdecho [-tls CERT KEY] [PORT [HOST]]
//
// With -tls it serves TLS (crypto/tls, default settings) with the PEM
// certificate chain CERT and private key KEY; EOF is then the client's
// close_notify, and closing sends ours. PORT defaults to 0 (the kernel
// chooses), HOST to 127.0.0.1. It prints "listening on HOST:PORT" once it
// accepts, and runs until killed.
package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
)

// bufSize is each connection's read buffer.
const bufSize = 32 * 1024

func main() {
	args := os.Args[1:]
	tlsCfg, args, err := tlsFlag(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "stdecho:", err)
		os.Exit(2)
	}
	addr, err := listenAddress(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "stdecho:", err)
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "stdecho: listen %s: %v\n", addr, err)
		os.Exit(1)
	}
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	if err := serve(ln); err != nil {
		fmt.Fprintln(os.Stderr, "stdecho:", err)
		os.Exit(1)
	}
}

// tlsFlag reads a leading "-tls CERT KEY" into a server configuration
// (nil without it) and returns the arguments after it.
func tlsFlag(args []string) (*tls.Config, []string, error) {
	if len(args) == 0 || args[0] != "-tls" {
		return nil, args, nil
	}
	if len(args) < 3 {
		return nil, nil, errors.New("usage: stdecho [-tls CERT KEY] [PORT [HOST]]")
	}
	cert, err := tls.LoadX509KeyPair(args[1], args[2])
	if err != nil {
		return nil, nil, fmt.Errorf("-tls: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}}, args[3:], nil
}

// listenAddress builds host:port from the optional PORT and HOST arguments.
func listenAddress(args []string) (string, error) {
	port, host := "0", "127.0.0.1"
	if len(args) > 2 {
		return "", fmt.Errorf("usage: stdecho [-tls CERT KEY] [PORT [HOST]]")
	}
	if len(args) > 0 {
		port = args[0]
	}
	if len(args) > 1 {
		host = args[1]
	}
	return net.JoinHostPort(host, port), nil
}

// serve accepts connections until the listener fails.
func serve(ln net.Listener) error {
	for {
		c, err := ln.Accept()
		if err != nil {
			return fmt.Errorf("accept: %w", err)
		}
		go echo(c)
	}
}

// echo writes back what c sends until EOF or an error, then closes c.
func echo(c net.Conn) {
	defer c.Close()
	buf := make([]byte, bufSize)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				fmt.Fprintln(os.Stderr, "stdecho: read:", err)
			}
			return
		}
	}
}
