package transports

import (
	"net"
	"strconv"
	"testing"

	"github.com/starnet-dev/starnet/loop"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// greeter embeds StreamBase and has its own ConnectionMade, which calls
// the base's first and then uses the typed transport.
type greeter struct{ StreamBase }

func (g *greeter) ConnectionMade(t BaseTransport) {
	g.StreamBase.ConnectionMade(t)
	_ = g.Transport().Write([]byte("hello\n"))
}

func (g *greeter) DataReceived(data []byte) {
	_ = g.Transport().Write(data)
	g.Transport().Close()
}

// TestStreamBase: a Go protocol that embeds StreamBase writes only the
// callbacks it needs and gets its transport typed, over TCP with a python3
// peer; the base's EOFReceived closes the transport as asyncio's does.
func TestStreamBase(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	_, port := tl.serve(func() (BaseProtocol, error) { return &greeter{}, nil }, ListenOptions{})
	peer := startPython(tl, `
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
f = s.makefile("rb")
print(f.readline().decode().strip())
s.sendall(b"ping")
print(f.read().decode())
`, strconv.Itoa(port))
	out := tl.mustAwait(peer.Output(tl))
	assert.Equal(t, "hello\nping\n", out)
	tl.expectNoReports()
}

// TestStreamBaseDefaults: the base's callbacks do nothing, EOFReceived is
// false, and Transport is nil before ConnectionMade and for a transport
// that is not bidirectional.
func TestStreamBaseDefaults(t *testing.T) {
	t.Parallel()
	var b StreamBase
	assert.Nil(t, b.Transport(), "Transport before ConnectionMade")
	assert.Nil(t, b.BaseTransport(), "BaseTransport before ConnectionMade")
	b.PauseWriting()
	b.ResumeWriting()
	b.DataReceived([]byte("x"))
	b.ConnectionLost(nil)
	assert.False(t, b.EOFReceived(), "EOFReceived")
	var d DatagramBase
	assert.Nil(t, d.Transport())
	var s SubprocessBase
	assert.Nil(t, s.Transport())
}

// TestDatagramBase: dgramEcho (DatagramBase plus DatagramReceived) echoes
// a python3 peer's datagram.
func TestDatagramBase(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	conn := tl.mustAwait(CreateDatagramEndpoint(tl.Loop, func() (BaseProtocol, error) { return &dgramEcho{}, nil }, DatagramOptions{LocalAddr: "127.0.0.1:0"})).(*Connection)
	defer conn.Transport.Close()
	port := conn.Transport.GetExtraInfo("sockname").(*net.UDPAddr).Port
	peer := startPython(tl, `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(30)
s.sendto(b"marco", ("127.0.0.1", int(sys.argv[1])))
print(s.recvfrom(100)[0].decode())
`, strconv.Itoa(port))
	out := tl.mustAwait(peer.Output(tl))
	assert.Equal(t, "marco\n", out)
	tl.expectNoReports()
}

// childOutput embeds SubprocessBase and keeps what the child writes.
type childOutput struct {
	SubprocessBase
	out  []byte
	lost *loop.Future
}

func (c *childOutput) PipeDataReceived(fd int, data []byte) { c.out = append(c.out, data...) }
func (c *childOutput) ConnectionLost(err error)             { _ = c.lost.SetResult(err) }

// TestSubprocessBase: a subprocess protocol on SubprocessBase gets its
// transport typed (the pid, the return code) and writes only the
// callbacks it needs.
func TestSubprocessBase(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	p := &childOutput{lost: tl.NewFuture()}
	tl.mustAwait(SubprocessExec(tl.Loop, func() (BaseProtocol, error) { return p, nil }, []string{"sh", "-c", "echo out; exit 4"}, SubprocessOptions{}))
	require.Positive(t, p.Transport().GetPid(), "pid")
	assert.Nil(t, tl.mustAwait(p.lost), "ConnectionLost")
	code, ok := p.Transport().GetReturncode()
	assert.True(t, ok)
	assert.Equal(t, 4, code)
	assert.Equal(t, "out\n", string(p.out))
	tl.expectNoReports()
}
