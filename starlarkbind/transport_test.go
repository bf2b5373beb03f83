package starlarkbind

import (
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTransportMethodTable: each kind of transport shows the methods of
// its asyncio classes only, and write is the value's own field.
func TestTransportMethodTable(t *testing.T) {
	t.Parallel()
	stream := &transportValue{kind: kindBase | kindRead | kindWrite}
	stream.write.tv = stream
	assert.Equal(t, []string{"abort", "can_write_eof", "close", "get_extra_info", "get_protocol",
		"get_write_buffer_limits", "get_write_buffer_size", "is_closing", "is_reading", "pause_reading",
		"resume_reading", "set_protocol", "set_write_buffer_limits", "write", "write_eof", "writelines"}, stream.AttrNames())
	w, err := stream.Attr("write")
	require.NoError(t, err)
	assert.Same(t, &stream.write, w)
	_, err = stream.Attr("sendto")
	assert.EqualError(t, err, `AttributeError: transport has no attribute "sendto"`)

	dgram := &transportValue{kind: kindBase | kindDatagram}
	assert.Equal(t, []string{"abort", "close", "get_extra_info", "get_protocol", "get_write_buffer_limits",
		"get_write_buffer_size", "is_closing", "sendto", "set_protocol", "set_write_buffer_limits"}, dgram.AttrNames())
	_, err = dgram.Attr("write")
	assert.EqualError(t, err, `AttributeError: transport has no attribute "write"`)

	proc := &transportValue{kind: kindBase | kindSubprocess}
	assert.Equal(t, []string{"close", "get_extra_info", "get_pid", "get_pipe_transport", "get_protocol",
		"get_returncode", "is_closing", "kill", "send_signal", "set_protocol", "terminate"}, proc.AttrNames())
}

// TestFlowControlAndWriteLimits fills a connection whose peer does not read
// past a high-water mark of 1000 bytes: pause_writing comes once, inside
// write, and resume_writing once the buffer drained to the low-water mark.
func TestFlowControlAndWriteLimits(t *testing.T) {
	t.Parallel()
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
	assert.Equal(t, want, g["events"].String(), "events")
	assert.Empty(t, te.stderr.String(), "stderr")
}

// TestTransportMethods checks a stream transport's methods, their argument
// errors and get_extra_info, and a server's.
func TestTransportMethods(t *testing.T) {
	t.Parallel()
	te := newTestEnv(t, Options{Permissions: allowLocal})
	te.exec(`
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
assert.fails(lambda: t.writelines([b"a", 2]), "TypeError: transport.writelines: for parameter list_of_data: element 1: got int, want bytes or string")
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
	assert.Empty(t, te.stderr.String(), "stderr")
}

// TestServeExistingSocketAndAcceptedSocket serves a connected socket made
// outside (connect_accepted_socket), and a listening socket of another
// server (create_server's sock=).
func TestServeExistingSocketAndAcceptedSocket(t *testing.T) {
	t.Parallel()
	te := newTestEnv(t, Options{Permissions: allowLocal})
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	require.NoError(t, err)
	peer := os.NewFile(uintptr(fds[1]), "peer")
	defer peer.Close()
	defer syscall.Close(fds[0])
	s, ok := newFDSocket(fds[0])
	require.True(t, ok, "socketpair end is not a socket")
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
	_, err = peer.Write([]byte("hello"))
	require.NoError(t, err)
	te.run()
	buf := make([]byte, 100)
	n, _ := peer.Read(buf)
	assert.Equal(t, "echo:hello", string(buf[:n]), "the peer read")
	assert.Equal(t, `[b"hello"]`, g["got"].String(), "got")
}
