package tests

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/starnet-dev/starnet/internal/testkit"
	starnet "github.com/starnet-dev/starnet/runtime"
	"github.com/starnet-dev/starnet/transports"
	"go.starlark.net/starlark"
)

// goEcho is a protocol written in Go: it echoes what it receives and counts
// its connections.
type goEcho struct {
	transport transports.Transport
	made      *atomic.Int32
	lost      *atomic.Int32
}

func (g *goEcho) ConnectionMade(t transports.BaseTransport) {
	g.transport = t.(transports.Transport)
	g.made.Add(1)
}
func (g *goEcho) ConnectionLost(error)     { g.lost.Add(1) }
func (g *goEcho) PauseWriting()            {}
func (g *goEcho) ResumeWriting()           {}
func (g *goEcho) DataReceived(data []byte) { _ = g.transport.Write(data) }
func (g *goEcho) EOFReceived() bool        { return false }

var _ transports.Protocol = (*goEcho)(nil)

// TestEmbedding drives the runtime package as API.md §7 shows: a Go host
// predeclares a value and a Go protocol factory, executes a script, serves
// the script's Starlark protocol and a Go protocol with rt.Listen, and the
// script serves the Go factory with loop.create_server.
func TestEmbedding(t *testing.T) {
	stdout := newLineLog()
	var stderr testkit.SyncBuffer
	rt, err := starnet.New(starnet.Config{Permissions: starnet.AllowAll(), Stdout: stdout, Stderr: &stderr})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	var made, lost atomic.Int32
	goFactory := transports.ProtocolFactory(func() transports.BaseProtocol {
		return &goEcho{made: &made, lost: &lost}
	})
	if err := rt.Predeclare("host_tag", starlark.String("H")); err != nil {
		t.Fatal(err)
	}
	if err := rt.Predeclare("go_echo", starnet.GoFactory(goFactory)); err != nil {
		t.Fatal(err)
	}

	mod, err := rt.ExecFile("testdata/embed_handler.star")
	if err != nil {
		t.Fatalf("ExecFile: %v\nstderr:\n%s", err, stderr.String())
	}
	factory, err := mod.ProtocolFactory("Handler")
	if err != nil {
		t.Fatal(err)
	}
	starlarkLn, err := rt.Listen("tcp", "127.0.0.1:0", factory)
	if err != nil {
		t.Fatal(err)
	}
	goLn, err := rt.Listen("tcp", "127.0.0.1:0", goFactory)
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ran := make(chan error, 1)
	go func() { ran <- rt.Run(ctx) }()

	// The Starlark protocol, served by the host.
	c := dialEcho(t, starlarkLn.Addr().String())
	if _, err := c.conn.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len("H:ping"))
	if _, err := io.ReadFull(c.conn, got); err != nil || string(got) != "H:ping" {
		t.Errorf("Starlark Handler replied %q (%v), want %q", got, err, "H:ping")
	}

	// The Go protocol, served by the host.
	dialEcho(t, goLn.Addr().String()).roundTrip("from Go's listener\n")

	// The Go protocol, served by the script.
	line, err := stdout.awaitLine("go_echo listening on ", waitTimeout)
	if err != nil {
		t.Fatalf("script output: %v\nstderr:\n%s", err, stderr.String())
	}
	scriptServed := dialEcho(t, strings.TrimPrefix(line, "go_echo listening on "))
	scriptServed.roundTrip("from the script's server\n")
	scriptServed.conn.Close()

	if n := made.Load(); n != 2 {
		t.Errorf("Go protocol saw %d connections, want 2", n)
	}
	if err := starlarkLn.Close(); err != nil {
		t.Errorf("closing the listener: %v", err)
	}

	cancel()
	select {
	case err := <-ran:
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("Run did not return after its context was cancelled")
	}
	// Run's graceful shutdown closed what the clients had not.
	if n := lost.Load(); n != made.Load() {
		t.Errorf("Go protocol: %d connections lost of %d made", n, made.Load())
	}
	if s := stderr.String(); s != "" {
		t.Errorf("runtime wrote to stderr:\n%s", s)
	}
}
