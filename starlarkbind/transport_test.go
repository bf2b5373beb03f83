package starlarkbind

import (
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/starnet-dev/starnet/transports"
	"go.starlark.net/starlark"
)

func TestBufferedProtocolEcho(t *testing.T) {
	te := newTestEnv(t, Options{Permissions: allowLocal})
	g := te.exec(`
hints = []
def init(self):
    self.buf = binary.buffer(4096)
def get_buffer(self, sizehint):
    hints.append(sizehint)
    return self.buf
def buffer_updated(self, n):
    self.t.write(self.buf[:n])
def lost(self, exc):
    srv.close()
B = protocol("B", init = init, get_buffer = get_buffer, buffer_updated = buffer_updated,
             connection_made = lambda self, t: set_t(self, t), connection_lost = lost)
def set_t(self, t):
    self.t = t
srv = loop.run_until_complete(loop.create_server(B, "127.0.0.1", 0))
`)
	py := startPython(t, pyEcho, itoa(te.serverPort(g, "srv")), "1", "30")
	te.run()
	if out := strings.TrimSpace(py.wait(t)); out != "ok" {
		t.Fatalf("client: %s", out)
	}
	if !strings.HasPrefix(g["hints"].String(), "[-1,") {
		t.Errorf("get_buffer sizehints = %.40s", g["hints"])
	}
	if te.stderr.String() != "" {
		t.Errorf("stderr: %s", te.stderr)
	}
}

// oddServer serves protocols that misbehave in the ways a script can.
const oddServer = `
lost = []
def made(self, t):
    self.t = t
def record(self, exc):
    lost.append((self.tag, None if exc == None else exc.kind))
    if len(lost) == want:
        srv.close()
def factory():
    kind = kinds.pop(0)
    if kind == "none":
        return None
    if kind == "raise":
        fail("factory failed")
    if kind == "bytes_buffer":
        return protocol("X", get_buffer = lambda self, n: b"abc", connection_made = made,
                        connection_lost = record)(tag = kind)
    if kind == "empty_buffer":
        return protocol("X", get_buffer = lambda self, n: binary.buffer(), connection_made = made,
                        connection_lost = record)(tag = kind)
    if kind == "frozen_buffer":
        b = binary.buffer(10)
        freeze(b)
        return protocol("X", get_buffer = lambda self, n: b, connection_made = made,
                        connection_lost = record)(tag = kind)
    if kind == "bad_eof":
        return protocol("X", eof_received = lambda self: fail("eof"), connection_made = made,
                        connection_lost = record)(tag = kind)
    if kind == "made_fails":
        # connection_made failing is only reported: the connection stays.
        return protocol("X", connection_made = lambda self, t: made(self, t) or fail("made"),
                        data_received = lambda self, d: self.t.write(d), connection_lost = record)(tag = kind)
    if kind == "no_callbacks":
        return struct(tag = kind)
    if kind == "wrong_arity":
        return protocol("X", data_received = lambda self: None, connection_made = made,
                        connection_lost = record)(tag = kind)
    fail("unknown kind " + kind)
srv = loop.run_until_complete(loop.create_server(factory, "127.0.0.1", 0))
`

// pyOdd opens one connection per kind, sends data, half-closes, and reads
// until the server closes.
const pyOdd = `
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
for i in range(n):
    c = socket.create_connection(("127.0.0.1", port), timeout=20)
    try:
        c.sendall(b"data")
        c.shutdown(socket.SHUT_WR)
        while c.recv(65536):
            pass
    except OSError:   # reset, broken pipe, not connected: the server closed first
        pass
    c.close()
print("ok")
`

func TestMisbehavingProtocolsDoNotCrash(t *testing.T) {
	kinds := []string{"none", "raise", "bytes_buffer", "empty_buffer", "frozen_buffer", "bad_eof", "made_fails", "no_callbacks", "wrong_arity"}
	te := newTestEnv(t, Options{Permissions: allowLocal})
	list := make([]starlark.Value, len(kinds))
	for i, k := range kinds {
		list[i] = starlark.String(k)
	}
	te.e.Predeclare("kinds", starlark.NewList(list))
	te.e.Predeclare("want", starlark.MakeInt(len(kinds)-3)) // none, raise and no_callbacks have no connection_lost
	g := te.exec(oddServer)
	py := startPython(t, pyOdd, itoa(te.serverPort(g, "srv")), itoa(len(kinds)))
	// The server closes itself after `want` losses; the struct protocol's
	// connection closes when the peer half-closes (eof_received missing →
	// close).
	te.run()
	if out := strings.TrimSpace(py.wait(t)); out != "ok" {
		t.Fatalf("client: %s", out)
	}
	want := `[("bytes_buffer", "ScriptError"), ("empty_buffer", "ScriptError"), ("frozen_buffer", "ScriptError"), ("bad_eof", "ScriptError"), ("made_fails", None), ("wrong_arity", "ScriptError")]`
	if got := g["lost"].String(); got != want {
		t.Errorf("lost = %s\nwant %s", got, want)
	}
	report := te.stderr.String()
	for _, want := range []string{
		"protocol factory factory failed", "factory returned NoneType", "factory failed",
		"X.get_buffer() failed", "want a binary.buffer", "empty buffer", "frozen",
		"X.eof_received() failed", "X.connection_made() failed", "X.data_received() failed",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("stderr:\n%s", report)
	}
	if te.e.OpenTransports() != 0 {
		t.Errorf("%d transports still tracked", te.e.OpenTransports())
	}
}

func TestSetProtocolSwitchesKindAndKeepsIdentity(t *testing.T) {
	te := newTestEnv(t, Options{Permissions: allowLocal})
	g := te.exec(`
events = []
def b_init(self, t):
    self.t = t
    self.buf = binary.buffer(16)
def b_updated(self, n):
    events.append(("buffered", self.buf[:n]))
    self.t.write(b"B:" + self.buf[:n])
def b_lost(self, exc):
    events.append(("lost", self.t == first[0], exc))
    srv.close()
B = protocol("B", init = b_init, get_buffer = lambda self, n: self.buf, buffer_updated = b_updated,
             connection_lost = b_lost)
first = []
def a_made(self, t):
    self.t = t
    first.append(t)
def a_data(self, data):
    events.append(("stream", data))
    b = B(self.t)
    self.t.set_protocol(b)
    events.append(("proto", self.t.get_protocol() == b, self.t.get_protocol() != self))
    self.t.write(b"A:" + data)
A = protocol("A", connection_made = a_made, data_received = a_data)
srv = loop.run_until_complete(loop.create_server(A, "127.0.0.1", 0))
`)
	py := startPython(t, `
import socket, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
c.sendall(b"one")
assert c.recv(100) == b"A:one"
c.sendall(b"two")
assert c.recv(100) == b"B:two"
c.close()
print("ok")
`, itoa(te.serverPort(g, "srv")))
	te.run()
	if out := strings.TrimSpace(py.wait(t)); out != "ok" {
		t.Fatalf("client: %s", out)
	}
	want := `[("stream", b"one"), ("proto", True, True), ("buffered", b"two"), ("lost", True, None)]`
	if got := g["events"].String(); got != want {
		t.Errorf("events = %s\nwant %s", got, want)
	}
}

func TestFlowControlAndWriteLimits(t *testing.T) {
	te := newTestEnv(t, Options{Permissions: allowLocal})
	g := te.exec(`
events = []
server_side = []
def s_made(self, t):
    self.t = t
    t.pause_reading()
    t.pause_reading()     # idempotent
    server_side.append(t)
    events.append(("reading", t.is_reading()))
S = protocol("S", connection_made = s_made, data_received = lambda self, d: None)
srv = loop.run_until_complete(loop.create_server(S, "127.0.0.1", 0))
port = srv.sockets[0].getsockname()[1]

def c_made(self, t):
    self.t = t
    t.set_write_buffer_limits(high = 1000)
    events.append(("limits", t.get_write_buffer_limits()))
    # Write until the kernel's buffers are full and ours goes over 1000
    # bytes: pause_writing is called once, inside write.
    chunk = b"x" * 65536
    for i in range(4096):
        t.write(chunk)
        if "pause" in events:
            break
    events.append(("buffered", t.get_write_buffer_size() > 1000))
    loop.call_soon(server_side[0].resume_reading)
def c_pause(self):
    events.append("pause")
def c_resume(self):
    events.append("resume")
    events.append(("size", self.t.get_write_buffer_size() <= 250))
    self.t.close()
    srv.close()
    server_side[0].close()
C = protocol("C", connection_made = c_made, pause_writing = c_pause, resume_writing = c_resume)
loop.run_until_complete(loop.create_connection(C, "127.0.0.1", port))
`)
	te.run()
	want := `[("reading", False), ("limits", (250, 1000)), "pause", ("buffered", True), "resume", ("size", True)]`
	if got := g["events"].String(); got != want {
		t.Errorf("events = %s\nwant %s", got, want)
	}
	if te.stderr.String() != "" {
		t.Errorf("stderr: %s", te.stderr)
	}
}

func TestTransportMethods(t *testing.T) {
	te := newTestEnv(t, Options{Permissions: allowLocal})
	g := te.exec(`
S = protocol("S")
srv = loop.run_until_complete(loop.create_server(S, "127.0.0.1", 0))
port = srv.sockets[0].getsockname()[1]
C = protocol("C")
t, p = loop.run_until_complete(loop.create_connection(C, "127.0.0.1", port))
assert.eq(type(t), "transport")
assert.eq(type(p), "C")
assert.eq(t.get_protocol(), p)
assert.true(t.is_reading())
assert.true(not t.is_closing())
assert.true(t.can_write_eof())
assert.eq(t.get_write_buffer_limits(), (16384, 65536))
t.set_write_buffer_limits(low = 100)
assert.eq(t.get_write_buffer_limits(), (100, 400))
t.set_write_buffer_limits()
assert.eq(t.get_write_buffer_limits(), (16384, 65536))
assert.fails(lambda: t.set_write_buffer_limits(high = 1, low = 2), "^ValueError: high \\(1\\) must be >= low \\(2\\) must be >= 0$")
assert.fails(lambda: t.set_write_buffer_limits(high = -4), "ValueError: high \\(-4\\) must be >= low \\(-1\\) must be >= 0")
assert.fails(lambda: t.set_write_buffer_limits(high = "x"), "TypeError: transport.set_write_buffer_limits: for parameter high: got string, want int or None")
assert.fails(lambda: t.write(1), "TypeError: transport.write: for parameter data: got int, want bytes or string")
assert.fails(lambda: t.write(), "TypeError: transport.write: missing argument for data")
assert.fails(lambda: t.writelines([b"a", 2]), "TypeError: transport.writelines: for parameter list_of_data: element 1 is int")
assert.fails(lambda: t.sendto(b"x"), "AttributeError: transport has no attribute \"sendto\"")
assert.fails(lambda: t.get_pid, "AttributeError: transport has no attribute \"get_pid\"")
assert.fails(lambda: t.get_extra_info(), "TypeError: transport.get_extra_info: missing argument for name")
assert.true("write" in dir(t) and "sendto" not in dir(t))
assert.true(t.write == t.write and t.close == t.close and t.write != t.close)
assert.eq(type(t.write), "builtin_function_or_method")
assert.eq(type(t.close), "builtin_function_or_method")
assert.eq(str(t.write), "<built-in method write of transport value>")
assert.eq(str(t.close), "<built-in method close of transport value>")
assert.eq(t.get_extra_info("peername"), ("127.0.0.1", port))
assert.eq(t.get_extra_info("sockname")[0], "127.0.0.1")
sock = t.get_extra_info("socket")
assert.eq(type(sock), "socket")
assert.eq(sock.getpeername(), ("127.0.0.1", port))
assert.eq((sock.family, sock.type), (2, 1))
assert.eq(t.get_extra_info("nothing"), None)
assert.eq(t.get_extra_info("nothing", 7), 7)
t.write("str is fine")
w = t.write
w(data = b"by keyword")
assert.fails(lambda: w(b"a", b"b"), "TypeError: transport.write: got 2 arguments, want at most 1")
t.writelines([b"a", "b"])
t.pause_reading()
assert.true(not t.is_reading())
t.resume_reading()
t.resume_reading()
t.close()
assert.true(t.is_closing())
t.write(b"ignored on a closing transport")
t.close()
t2, p2 = loop.run_until_complete(loop.create_connection(C, "127.0.0.1", port))
t2.write_eof()
t2.write_eof()
assert.fails(lambda: t2.write(b"x"), "^RuntimeError: Cannot call write\\(\\) after write_eof\\(\\)$")
t2.abort()
assert.true(t2.is_closing())
assert.eq(srv.is_serving(), True)
assert.eq(type(srv.sockets[0]), "socket")
srv.close()
assert.eq(srv.is_serving(), False)
loop.run_until_complete(srv.wait_closed())
`)
	te.run()
	_ = g
	if te.stderr.String() != "" {
		t.Errorf("stderr: %s", te.stderr)
	}
}

func TestExceptionHandlerContext(t *testing.T) {
	te := newTestEnv(t, Options{Permissions: allowLocal})
	g := te.exec(`
seen = []
def handler(lp, ctx):
    seen.append(ctx)
    if ctx["message"] == "forward":
        lp.default_exception_handler(ctx)
loop.set_exception_handler(handler)
assert.eq(loop.get_exception_handler(), handler)
def made(self, t):
    self.t = t
    t.write(b"hi")
def data(self, d):
    fail("bad data")
S = protocol("S", connection_made = made, data_received = data, connection_lost = lambda self, exc: srv.close())
srv = loop.run_until_complete(loop.create_server(S, "127.0.0.1", 0))
port = srv.sockets[0].getsockname()[1]
client_lost = []
C = protocol("C", connection_made = made, data_received = lambda self, d: None,
             connection_lost = lambda self, exc: client_lost.append(exc))
ct, cp = loop.run_until_complete(loop.create_connection(C, "127.0.0.1", port))
loop.run_until_complete(loop.sleep(0.05)) if not seen else None
while not seen:
    loop.run_until_complete(loop.sleep(0.01))
ctx = seen[0]
assert.eq(sorted(ctx.keys()), ["exception", "message", "protocol", "transport"])
assert.true(ctx["message"].startswith("Fatal error: S.data_received() failed (peer 127.0.0.1:"))
assert.eq(ctx["exception"].kind, "ScriptError")
assert.true("bad data" in ctx["exception"].message)
assert.eq(type(ctx["protocol"]), "S")
assert.eq(ctx["protocol"].t, ctx["transport"])
loop.call_exception_handler({"message": "custom", "extra": 1})
assert.eq(seen[1], {"message": "custom", "exception": None, "transport": None, "protocol": None, "extra": 1})
loop.call_exception_handler({"message": "forward", "exception": ctx["exception"]})
ct.close()
`)
	te.run()
	_ = g
	report := te.stderr.String()
	if !strings.Contains(report, "forward") || !strings.Contains(report, "test.star:") || !strings.Contains(report, "in data") {
		t.Errorf("default handler output lacks the forwarded traceback:\n%s", report)
	}
}

// goEcho is a Go protocol; onLost, if set, runs in ConnectionLost.
type goEcho struct {
	t      transports.Transport
	onLost func()
}

func (p *goEcho) ConnectionMade(t transports.BaseTransport) { p.t = t.(transports.Transport) }

func (p *goEcho) ConnectionLost(error) {
	if p.onLost != nil {
		p.onLost()
	}
}

func (p *goEcho) PauseWriting()         {}
func (p *goEcho) ResumeWriting()        {}
func (p *goEcho) DataReceived(d []byte) { _ = p.t.Write(d) }
func (p *goEcho) EOFReceived() bool     { return false }

func TestGoFactoryInScript(t *testing.T) {
	te := newTestEnv(t, Options{Permissions: allowLocal})
	te.e.Predeclare("go_echo", GoFactory(func() transports.BaseProtocol { return &goEcho{} }))
	te.e.Predeclare("open_count", starlark.NewBuiltin("open_count", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
		return starlark.MakeInt(te.e.OpenTransports()), nil
	}))
	g := te.exec(`
srv = loop.run_until_complete(loop.create_server(go_echo, "127.0.0.1", 0))
port = srv.sockets[0].getsockname()[1]
got = []
def c_made(self, t):
    self.t = t
    t.write(b"ping")
def c_data(self, d):
    got.append(d)
    self.t.close()
C = protocol("C", connection_made = c_made, data_received = c_data)
t, p = loop.run_until_complete(loop.create_connection(C, "127.0.0.1", port))
gp = go_echo()
assert.eq(type(gp), "go_protocol")
counts = []
def stop_when_done():
    counts.append(open_count())
    if got:
        srv.close()
    else:
        loop.call_later(0.001, stop_when_done)
stop_when_done()
`)
	te.run()
	if got := g["got"].String(); got != `[b"ping"]` {
		t.Errorf("got = %s", got)
	}
	if got := g["counts"].String(); !strings.HasPrefix(got, "[2") {
		t.Errorf("tracked transports while connected = %s, want 2 (the Go protocol's too)", got)
	}
	if n := te.e.OpenTransports(); n != 0 {
		t.Errorf("tracked transports = %d after close", n)
	}
}

func TestServeExistingSocketAndAcceptedSocket(t *testing.T) {
	te := newTestEnv(t, Options{Permissions: allowLocal})
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	peer := os.NewFile(uintptr(fds[1]), "peer")
	defer peer.Close()
	defer syscall.Close(fds[0])
	s, ok := newFDSocket(fds[0])
	if !ok {
		t.Fatal("socketpair end is not a socket")
	}
	te.e.Predeclare("accepted", &socketValue{s: s})
	g := te.exec(`
got = []
def made(self, t):
    self.t = t
def data(self, d):
    got.append(d)
    self.t.write(b"echo:" + d)
    self.t.close()
E = protocol("E", connection_made = made, data_received = data)
t, p = loop.run_until_complete(loop.connect_accepted_socket(E, accepted))
assert.eq(type(p), "E")

# A server on the listening socket of another server (sock=).
first = loop.run_until_complete(loop.create_server(E, "127.0.0.1", 0))
second = loop.run_until_complete(loop.create_server(E, sock = first.sockets[0]))
assert.eq(second.sockets[0].getsockname(), first.sockets[0].getsockname())
first.close()
second.close()
assert.fails(lambda: loop.create_server(E, "127.0.0.1", 0, sock = accepted), "ValueError: loop.create_server: host/port and sock can not be specified at the same time")
`)
	if _, err := peer.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	te.run()
	buf := make([]byte, 100)
	n, _ := peer.Read(buf)
	if string(buf[:n]) != "echo:hello" {
		t.Errorf("peer read %q", buf[:n])
	}
	if got := g["got"].String(); got != `[b"hello"]` {
		t.Errorf("got = %s", got)
	}
}

func TestStructOfClosuresAndSetGoProtocol(t *testing.T) {
	te := newTestEnv(t, Options{Permissions: allowLocal})
	var srv *transports.Server
	te.e.Predeclare("go_echo", GoFactory(func() transports.BaseProtocol {
		return &goEcho{onLost: func() { srv.Close() }}
	}))
	g := te.exec(`
seen = []
def make_closure_protocol():
    state = {}
    def made(t):
        state["t"] = t
    def data(d):
        seen.append(d)
        state["t"].write(b"closure:" + d)
        state["t"].set_protocol(go_echo())    # a Go protocol takes over
        seen.append(type(state["t"].get_protocol()))
    def lost(exc):
        seen.append(("lost", exc))    # not called: the Go protocol gets it
    return struct(connection_made = made, data_received = data, connection_lost = lost)
srv = loop.run_until_complete(loop.create_server(make_closure_protocol, "127.0.0.1", 0))
`)
	srv = g["srv"].(*serverValue).s
	py := startPython(t, `
import socket, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
c.sendall(b"one")
assert c.recv(100) == b"closure:one"
c.sendall(b"two")
assert c.recv(100) == b"two"
c.close()
print("ok")
`, itoa(te.serverPort(g, "srv")))
	te.run()
	if out := strings.TrimSpace(py.wait(t)); out != "ok" {
		t.Fatalf("client: %s", out)
	}
	if got := g["seen"].String(); got != `[b"one", "go_protocol"]` {
		t.Errorf("seen = %s", got)
	}
	if n := te.e.OpenTransports(); n != 0 {
		t.Errorf("%d transports still tracked", n)
	}
}
