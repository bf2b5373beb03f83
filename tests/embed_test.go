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
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
)

// goEcho is a protocol written in Go on transports.StreamBase: it echoes
// what it receives and counts its connections.
type goEcho struct {
	transports.StreamBase
	made *atomic.Int32
	lost *atomic.Int32
}

func (g *goEcho) ConnectionMade(t transports.BaseTransport) {
	g.StreamBase.ConnectionMade(t)
	g.made.Add(1)
}
func (g *goEcho) ConnectionLost(error)     { g.lost.Add(1) }
func (g *goEcho) DataReceived(data []byte) { _ = g.Transport().Write(data) }

var _ transports.Protocol = (*goEcho)(nil)

// TestEmbedding drives the runtime package as API.md "Go embedding" shows: a Go host
// predeclares a value and a Go protocol factory, executes a script, serves
// the script's Starlark protocol and a Go protocol with rt.Listen, and the
// script serves the Go factory with loop.create_server.
func TestEmbedding(t *testing.T) {
	t.Parallel()
	stdout := testkit.NewLines()
	var stderr testkit.SyncBuffer
	rt, err := starnet.New(starnet.Config{Permissions: starnet.AllowAll(), Stdout: stdout, Stderr: &stderr})
	require.NoError(t, err)
	defer rt.Close()
	var made, lost atomic.Int32
	goFactory := transports.ProtocolFactory(func() (transports.BaseProtocol, error) {
		return &goEcho{made: &made, lost: &lost}, nil
	})
	require.NoError(t, rt.Predeclare("host_tag", starlark.String("H")))
	require.NoError(t, rt.Predeclare("go_echo", starnet.GoFactory(goFactory)))

	mod, err := rt.ExecFile("testdata/embed_handler.star")
	require.NoError(t, err, "ExecFile; stderr:\n%s", stderr.String())
	factory, err := mod.ProtocolFactory("Handler")
	require.NoError(t, err)
	starlarkLn, err := rt.Listen("tcp", "127.0.0.1:0", factory)
	require.NoError(t, err)
	goLn, err := rt.Listen("tcp", "127.0.0.1:0", goFactory)
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ran := make(chan error, 1)
	go func() { ran <- rt.Run(ctx) }()

	// The Starlark protocol, served by the host.
	c := dialEcho(t, starlarkLn.Addr().String())
	_, err = c.conn.Write([]byte("ping"))
	require.NoError(t, err)
	got := make([]byte, len("H:ping"))
	_, err = io.ReadFull(c.conn, got)
	assert.NoError(t, err, "reading the Starlark Handler's reply")
	assert.Equal(t, "H:ping", string(got), "the Starlark Handler's reply")

	// The Go protocol, served by the host.
	dialEcho(t, goLn.Addr().String()).roundTrip("from Go's listener\n")

	// The Go protocol, served by the script.
	line := stdout.WaitLine(t, "go_echo listening on ")
	scriptServed := dialEcho(t, strings.TrimPrefix(line, "go_echo listening on "))
	scriptServed.roundTrip("from the script's server\n")
	scriptServed.conn.Close()

	assert.Equal(t, int32(2), made.Load(), "connections the Go protocol saw")
	assert.NoError(t, starlarkLn.Close(), "closing the listener")

	cancel()
	select {
	case err := <-ran:
		if !errors.Is(err, context.Canceled) {
			assert.NoError(t, err, "Run")
		}
	case <-time.After(waitTimeout):
		t.Fatal("Run did not return after its context was cancelled")
	}
	// Run's graceful shutdown closed what the clients had not.
	assert.Equal(t, made.Load(), lost.Load(), "Go protocol: connections lost, of those made")
	assert.Empty(t, stderr.String(), "what the runtime wrote to stderr")
}
