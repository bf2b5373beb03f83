package starlarkbind

import (
	"testing"

	"github.com/starnet-dev/starnet/loop"
	"github.com/starnet-dev/starnet/transports"
)

// pingClient is a Go protocol that sends a 64-byte message, waits for all
// of it to come back, and repeats n times; then it resolves done.
type pingClient struct {
	t    transports.Transport
	msg  []byte
	got  int
	left int
	done *loop.Future
}

func (c *pingClient) ConnectionMade(t transports.BaseTransport) { c.t = t.(transports.Transport) }
func (c *pingClient) ConnectionLost(error)                      {}
func (c *pingClient) PauseWriting()                             {}
func (c *pingClient) ResumeWriting()                            {}
func (c *pingClient) EOFReceived() bool                         { return false }

func (c *pingClient) DataReceived(d []byte) {
	c.got += len(d)
	if c.got < len(c.msg) {
		return
	}
	c.got = 0
	c.left--
	if c.left <= 0 {
		_ = c.done.SetResult(nil)
		return
	}
	_ = c.t.Write(c.msg)
}

const starlarkEcho = `
def connection_made(self, transport):
    self.transport = transport

def data_received(self, data):
    self.transport.write(data)

Echo = protocol("Echo", connection_made = connection_made, data_received = data_received)
srv = loop.run_until_complete(loop.create_server(Echo, "127.0.0.1", 0))
`

const goEchoServer = `
srv = loop.run_until_complete(loop.create_server(go_echo, "127.0.0.1", 0))
`

func benchEcho(b *testing.B, src string) {
	te := newTestEnv(b, Options{Permissions: allowLocal, MaxSteps: 100_000_000})
	te.e.Predeclare("go_echo", GoFactory(func() transports.BaseProtocol { return &goEcho{} }))
	g := te.exec(src)
	client := &pingClient{msg: make([]byte, 64), left: b.N, done: te.l.NewFuture()}
	conn := transports.CreateConnection(te.l, func() transports.BaseProtocol { return client }, "127.0.0.1", te.serverPort(g, "srv"), transports.DialOptions{})
	if _, err := te.l.RunUntilComplete(conn); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	_ = client.t.Write(client.msg)
	if _, err := te.l.RunUntilComplete(client.done); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	client.t.Close()
	te.e.Shutdown(false)
	te.run()
}

// BenchmarkStarlarkEcho is one 64-byte round trip through a Starlark echo
// protocol (the client is a Go protocol on the same loop).
func BenchmarkStarlarkEcho(b *testing.B) { benchEcho(b, starlarkEcho) }

// BenchmarkGoEcho is the same with a Go echo protocol: the baseline.
func BenchmarkGoEcho(b *testing.B) { benchEcho(b, goEchoServer) }

// BenchmarkAdapterDataReceived is the adapter's own cost: one
// data_received(data) call into a protocol instance method (64 bytes), no
// socket.
func BenchmarkAdapterDataReceived(b *testing.B) {
	te := newTestEnv(b, Options{MaxSteps: 100_000_000})
	g := te.exec(`
def data_received(self, data):
    self.n += len(data)
Counter = protocol("Counter", data_received = data_received)
c = Counter(n = 0)
`)
	a := newAdapter(te.e, g["c"]).(*streamAdapter)
	data := make([]byte, 64)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a.DataReceived(data)
	}
	b.StopTimer()
	if got := g["c"].(*ProtocolInstance).attrs["n"].String(); got != itoa(64*b.N) {
		b.Fatalf("n = %s", got)
	}
}
