package starlarkbind

import (
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/starnet-dev/starnet/transports"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
)

// udpEchoServer is a script: a UDP (or Unix datagram) echo server on
// `local` that records each sender's address and closes after `want`
// datagrams.
const udpEchoServer = `
senders = []
def made(self, transport):
    self.transport = transport
def received(self, data, addr):
    senders.append(addr)
    if addr != None:
        self.transport.sendto(data, addr)
    if len(senders) == want:
        self.transport.close()
Echo = protocol("Echo", connection_made = made, datagram_received = received)
srv, _ = loop.run_until_complete(loop.create_datagram_endpoint(Echo, local_addr = local))
`

// pyUDPClient sends datagrams of several sizes and checks each echo.
const pyUDPClient = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(20)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
for size in (0, 1, 1000, 65000):
    msg = bytes(i % 251 for i in range(size))
    s.sendto(msg, ("127.0.0.1", int(sys.argv[1])))
    got, addr = s.recvfrom(70000)
    assert got == msg, "echo mismatch at size %d" % size
    assert addr == ("127.0.0.1", int(sys.argv[1])), addr
print("ok")
`

// TestDatagramEchoWithPythonClient echoes a python3 client's datagrams of
// several sizes, up to 65000 bytes, and records each sender's address.
func TestDatagramEchoWithPythonClient(t *testing.T) {
	t.Parallel()
	te := newTestEnv(t, Options{Permissions: allowLocal, MaxSteps: 1_000_000})
	te.e.Predeclare("want", starlark.MakeInt(4))
	te.e.Predeclare("local", starlark.Tuple{starlark.String("127.0.0.1"), starlark.MakeInt(0)})
	g := te.exec(udpEchoServer)
	port := g["srv"].(*transportValue).t.GetExtraInfo("sockname").(*net.UDPAddr).Port
	py := testkit.StartPython(t, pyUDPClient, itoa(port))
	te.run()
	out := lines(waitPython(t, py))
	require.Len(t, out, 2, "client: %q", out)
	require.Equal(t, "ok", out[1], "client")
	want := `("127.0.0.1", ` + out[0] + `)`
	assert.Equal(t, "["+strings.Repeat(want+", ", 3)+want+"]", g["senders"].String(), "senders: four %s", want)
	assert.Empty(t, te.stderr.String(), "stderr")
}

// pyUnixClients sends from a bound Unix datagram socket (which gets the
// echo) and from an unbound one (whose address is None: no echo).
const pyUnixClients = `
import socket, sys
server, client_path = sys.argv[1], sys.argv[2]
bound = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
bound.settimeout(20)
bound.bind(client_path)
bound.sendto(b"from bound", server)
assert bound.recv(100) == b"from bound"
unbound = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
unbound.sendto(b"from unbound", server)
print("ok")
`

// TestDatagramUnixWithPythonClients echoes over Unix datagram sockets to a
// bound python3 client; an unbound one's address is None and gets no echo.
func TestDatagramUnixWithPythonClients(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	server, client := filepath.Join(dir, "srv.sock"), filepath.Join(dir, "cli.sock")
	te := newTestEnv(t, Options{Permissions: Permissions{Read: []string{dir}, Write: []string{dir}}, MaxSteps: 1_000_000})
	te.e.Predeclare("want", starlark.MakeInt(2))
	te.e.Predeclare("local", starlark.String(server))
	g := te.exec(udpEchoServer)
	py := testkit.StartPython(t, pyUnixClients, server, client)
	te.run()
	require.Equal(t, "ok", waitPython(t, py), "client")
	assert.Equal(t, `["`+client+`", None]`, g["senders"].String(), "senders")
}

// TestDatagramCallbackFailure checks that a failing datagram_received is
// reported and the endpoint keeps serving, as in asyncio.
func TestDatagramCallbackFailure(t *testing.T) {
	t.Parallel()
	te := newTestEnv(t, Options{Permissions: allowLocal, MaxSteps: 1_000_000})
	g := te.exec(`
got = []
lost = []
def received(self, data, addr):
    if data == b"boom":
        fail("boom requested")
    got.append(data)
    if len(got) == 2:
        self.transport.close()
Srv = protocol("Srv", connection_made = lambda self, t: setattr(self, t),
               datagram_received = received, connection_lost = lambda self, exc: lost.append(exc))
def setattr(self, t):
    self.transport = t
srv, _ = loop.run_until_complete(loop.create_datagram_endpoint(Srv, local_addr = ("127.0.0.1", 0)))
port = srv.get_extra_info("sockname")[1]
def send(t):
    t.sendto(b"one")
    t.sendto(b"boom")
    t.sendto(b"two")
    t.close()
loop.run_until_complete(loop.create_datagram_endpoint(lambda: struct(connection_made = send),
                                                      remote_addr = ("127.0.0.1", port)))
`)
	te.run()
	assert.Equal(t, `[b"one", b"two"]`, g["got"].String(), "datagrams handled")
	assert.Equal(t, "[None]", g["lost"].String(), "connection_lost")
	report := te.stderr.String()
	for _, want := range []string{"Srv.datagram_received() failed", "boom requested"} {
		assert.Contains(t, report, want, "report")
	}
}

// TestDatagramPermissions checks --allow-net on the local address, the
// remote address and each sendto destination, and the path permissions of
// Unix datagram sockets.
func TestDatagramPermissions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sock := filepath.Join(dir, "d.sock")
	cases := []struct {
		name  string
		perms Permissions
		src   string
		want  string // the error, "" for none
	}{
		{"local denied", Permissions{},
			`loop.run_until_complete(loop.create_datagram_endpoint(P, local_addr = ("127.0.0.1", 0)))`,
			`PermissionError: net access to "127.0.0.1:0" denied; run with --allow-net=127.0.0.1:0`},
		{"wildcard local denied", Permissions{Net: []string{"127.0.0.1"}},
			`loop.run_until_complete(loop.create_datagram_endpoint(P, local_addr = ("", 0)))`,
			`PermissionError: net access to "0.0.0.0:0" denied`},
		{"remote denied", Permissions{Net: []string{"127.0.0.1:53"}},
			`loop.run_until_complete(loop.create_datagram_endpoint(P, remote_addr = ("127.0.0.1", 54)))`,
			`PermissionError: net access to "127.0.0.1:54" denied; run with --allow-net=127.0.0.1:54`},
		{"remote allowed by port", Permissions{Net: []string{":53"}},
			`t, _ = loop.run_until_complete(loop.create_datagram_endpoint(P, remote_addr = ("127.0.0.1", 53)))
t.close()`, ""},
		{"name allowed", Permissions{Net: []string{"localhost"}},
			`t, _ = loop.run_until_complete(loop.create_datagram_endpoint(P, local_addr = ("localhost", 0)))
t.close()`, ""},
		{"name resolved to a denied address", Permissions{Net: []string{"10.0.0.0/8"}},
			`loop.run_until_complete(loop.create_datagram_endpoint(P, remote_addr = ("localhost", 9)))`,
			`PermissionError: net access to "localhost:9" denied`},
		{"name resolved to an allowed address", Permissions{Net: []string{"127.0.0.0/8"}},
			`t, _ = loop.run_until_complete(loop.create_datagram_endpoint(P, remote_addr = ("localhost", 9)))
t.close()`, ""},
		{"sendto destination denied", Permissions{Net: []string{"127.0.0.1:0", "127.0.0.1:7"}},
			`t, _ = loop.run_until_complete(loop.create_datagram_endpoint(P, local_addr = ("127.0.0.1", 0)))
t.sendto(b"ok", ("127.0.0.1", 7))
err = catch(lambda: t.sendto(b"no", ("127.0.0.1", 8)))
t.close()
fail(err)`,
			`PermissionError: net access to "127.0.0.1:8" denied; run with --allow-net=127.0.0.1:8`},
		{"sendto after a name-allowed bind", Permissions{Net: []string{"localhost"}},
			`t, _ = loop.run_until_complete(loop.create_datagram_endpoint(P, local_addr = ("localhost", 0)))
# The bind allowed "localhost" port 0 by name: that must not carry over
# to a destination with that port once the endpoint is made.
err = catch(lambda: t.sendto(b"no", ("10.1.2.3", 0)))
t.close()
fail(err)`,
			`PermissionError: net access to "10.1.2.3:0" denied`},
		{"unix bind denied", Permissions{Read: []string{dir}},
			`loop.run_until_complete(loop.create_datagram_endpoint(P, local_addr = sock))`,
			`PermissionError: write access to "` + sock + `" denied; run with --allow-write=` + sock},
		{"unix remote needs read too", Permissions{Write: []string{dir}},
			`loop.run_until_complete(loop.create_datagram_endpoint(P, remote_addr = sock))`,
			`PermissionError: read access to "` + sock + `" denied`},
		{"unix sendto destination denied", Permissions{Read: []string{dir}, Write: []string{dir}},
			`t, _ = loop.run_until_complete(loop.create_datagram_endpoint(P, local_addr = sock))
err = catch(lambda: t.sendto(b"no", "/elsewhere.sock"))
t.close()
fail(err)`,
			`PermissionError: read access to "/elsewhere.sock" denied`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			te := newTestEnv(t, Options{Permissions: c.perms, MaxSteps: 1_000_000})
			te.e.Predeclare("sock", starlark.String(sock))
			_, err := te.e.Exec("perm.star", []byte("P = protocol(\"P\")\n"+c.src))
			if c.want == "" {
				require.NoError(t, err, "unexpected error")
			} else {
				require.Error(t, err, "want %q", c.want)
				require.Contains(t, err.Error(), c.want)
			}
			te.run()
		})
	}
}

// goDgram is a Go DatagramProtocol that echoes.
type goDgram struct {
	mu  sync.Mutex
	t   transports.DatagramTransport
	got []string
}

func (g *goDgram) ConnectionMade(t transports.BaseTransport) { g.t = t.(transports.DatagramTransport) }
func (g *goDgram) ConnectionLost(error)                      {}
func (g *goDgram) PauseWriting()                             {}
func (g *goDgram) ResumeWriting()                            {}
func (g *goDgram) ErrorReceived(error)                       {}
func (g *goDgram) DatagramReceived(data []byte, addr net.Addr) {
	g.mu.Lock()
	g.got = append(g.got, string(data))
	g.mu.Unlock()
	_ = g.t.SendTo(append([]byte("go:"), data...), addr)
	g.t.Close()
}

// TestDatagramGoFactory passes a Go datagram protocol factory to
// create_datagram_endpoint.
func TestDatagramGoFactory(t *testing.T) {
	t.Parallel()
	te := newTestEnv(t, Options{Permissions: allowLocal, MaxSteps: 1_000_000})
	proto := &goDgram{}
	te.e.Predeclare("go_echo", GoFactory(func() (transports.BaseProtocol, error) { return proto, nil }))
	g := te.exec(`
replies = []
srv, p = loop.run_until_complete(loop.create_datagram_endpoint(go_echo, local_addr = ("127.0.0.1", 0)))
assert.eq(type(p), "go_protocol")
def made(t):
    t.sendto(b"hi")
def received(data, addr):
    replies.append(data)
    cli.close()
cli, _ = loop.run_until_complete(loop.create_datagram_endpoint(
    lambda: struct(connection_made = made, datagram_received = received),
    remote_addr = srv.get_extra_info("sockname")))
`)
	te.run()
	assert.Equal(t, `[b"go:hi"]`, g["replies"].String(), "replies")
	proto.mu.Lock()
	assert.Equal(t, []string{"hi"}, proto.got, "what the Go protocol got")
	proto.mu.Unlock()
	assert.Zero(t, te.e.OpenTransports(), "transports still tracked")
}
