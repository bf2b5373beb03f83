package starlarkbind

import (
	"bytes"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"go.starlark.net/starlark"
)

// TestNewBytesSurvivesCollections checks the values newBytes packs into
// one allocation: their contents, slices of them and their hashes stay
// right through collections, while nothing else refers to their blocks.
func TestNewBytesSurvivesCollections(t *testing.T) {
	src := make([]byte, 2*maxPackedBytes)
	for i := range src {
		src[i] = byte(i*7 + 3)
	}
	var vals []starlark.Value
	var subs []string
	for n := 1; n <= len(src); n += 13 {
		v := newBytes(src[:n])
		vals = append(vals, v)
		subs = append(subs, string(v.(starlark.Bytes))[n/2:]) // a Go string into the block
	}
	for round := 0; round < 3; round++ {
		runtime.GC()
		garbage := make([][]byte, 0, 1000)
		for i := 0; i < 1000; i++ {
			garbage = append(garbage, bytes.Repeat([]byte{0xee}, 1+i%1200))
		}
		_ = garbage
	}
	for i, v := range vals {
		n := 1 + 13*i
		b, ok := v.(starlark.Bytes)
		if !ok {
			t.Fatalf("value %d is %T", i, v)
		}
		if string(b) != string(src[:n]) {
			t.Fatalf("value of %d bytes changed", n)
		}
		if subs[i] != string(src[n/2:n]) {
			t.Fatalf("slice of the %d-byte value changed", n)
		}
		h1, err1 := v.Hash()
		h2, err2 := starlark.Bytes(src[:n]).Hash()
		if err1 != nil || err2 != nil || h1 != h2 {
			t.Fatalf("hash of %d bytes: %v %v, %v %v", n, h1, err1, h2, err2)
		}
		if eq, err := starlark.Equal(v, starlark.Bytes(src[:n])); err != nil || !eq {
			t.Fatalf("value of %d bytes is not equal to its copy: %v", n, err)
		}
	}
	if v := newBytes(nil); v != starlark.Bytes("") {
		t.Fatalf("newBytes(nil) = %v", v)
	}
}

// pyBulk sends argv[2] MiB (random bytes if argv[3] is "random", else a
// pattern) in 1 MiB writes without reading (so that the server's reads are
// large), half-closes, then reads everything back and checks it.
const pyBulk = `
import os, socket, sys, threading
port, mib = int(sys.argv[1]), int(sys.argv[2])
c = socket.create_connection(("127.0.0.1", port), timeout=30)
if sys.argv[3] == "random":
    data = os.urandom(mib << 20)
else:
    data = bytes((i * 31 + i // 4096) % 251 for i in range(mib << 20))
def send():
    for i in range(0, len(data), 1 << 20):
        c.sendall(data[i:i + (1 << 20)])
    c.shutdown(socket.SHUT_WR)
th = threading.Thread(target=send)
th.start()
got = bytearray()
while True:
    chunk = c.recv(1 << 20)
    if not chunk:
        break
    got += chunk
th.join()
assert len(got) == len(data), (len(got), len(data))
assert bytes(got) == data, "echo mismatch"
print("ok")
`

// TestBulkReadsKeepEveryByte keeps every bytes value a stream delivers and
// writes them all back only at EOF: a value sharing memory with the read
// buffer would corrupt the echo.
func TestBulkReadsKeepEveryByte(t *testing.T) {
	te := newTestEnv(t, Options{Permissions: allowLocal, MaxSteps: 10_000_000})
	g := te.exec(`
chunks = []
def connection_made(self, transport):
    self.transport = transport
def data_received(self, data):
    chunks.append(data)
def eof_received(self):
    for c in chunks:
        self.transport.write(c)
    srv.close()
Keep = protocol("Keep", connection_made = connection_made, data_received = data_received,
                eof_received = eof_received)
srv = loop.run_until_complete(loop.create_server(Keep, "127.0.0.1", 0))
`)
	py := startPython(t, pyBulk, itoa(te.serverPort(g, "srv")), "8", "pattern")
	te.run()
	if out := py.wait(t); strings.TrimSpace(out) != "ok" {
		t.Fatalf("client: %s", out)
	}
}

// TestCallbackSlots checks that callbacks found by slot are those that
// attribute lookup finds: an instance attribute set before or during the
// connection shadows the class's method, a None member is no callback, and
// instances with many attributes (kept in a map) behave alike.
func TestCallbackSlots(t *testing.T) {
	te := newTestEnv(t, Options{MaxSteps: 1_000_000})
	g := te.exec(`
got = []
def data_received(self, data):
    got.append(("method", data))
    if data == b"switch":
        self.data_received = lambda data: got.append(("attr", data))
def eof_received(self):
    got.append("eof")
    return True
P = protocol("P", data_received = data_received, eof_received = eof_received, pause_writing = None)

plain = P()
shadowed = P(data_received = lambda data: got.append(("kwarg", data)))
many = P(a0 = 0, a1 = 1, a2 = 2, a3 = 3, a4 = 4, a5 = 5, a6 = 6, a7 = 7, a8 = 8)
many.eof_received = lambda: False
`)
	adapt := func(name string) *streamAdapter { return newAdapter(te.e, g[name]).(*streamAdapter) }
	plain, shadowed, many := adapt("plain"), adapt("shadowed"), adapt("many")
	plain.DataReceived([]byte("one"))
	plain.DataReceived([]byte("switch"))
	plain.DataReceived([]byte("two"))
	shadowed.DataReceived([]byte("three"))
	many.DataReceived([]byte("four"))
	if !plain.EOFReceived() {
		t.Error("eof_received returned True, the adapter said close")
	}
	if many.EOFReceived() {
		t.Error("many.eof_received returned False, the adapter said keep open")
	}
	plain.PauseWriting() // a None member: nothing to call
	want := `[("method", b"one"), ("method", b"switch"), ("attr", b"two"), ("kwarg", b"three"), ("method", b"four"), "eof"]`
	if s := g["got"].String(); s != want {
		t.Errorf("calls:\n got %s\nwant %s", s, want)
	}
	inst := g["many"].(*ProtocolInstance)
	if inst.many == nil || inst.attrs != nil {
		t.Errorf("an instance with %d attributes keeps them in a slice", len(inst.AttrNames()))
	}
	if v, _ := inst.get("a8"); v.String() != "8" {
		t.Errorf("many.a8 = %v", v)
	}
	if te.stderr.String() != "" {
		t.Errorf("reports: %s", te.stderr)
	}
}

// TestTransportMethodTable checks the table methodIndex searches: sorted,
// with write where the fast path expects it.
func TestTransportMethodTable(t *testing.T) {
	for i := range transportMethods {
		if i > 0 && transportMethods[i-1].name >= transportMethods[i].name {
			t.Errorf("transportMethods not sorted at %q", transportMethods[i].name)
		}
		if got := methodIndex(transportMethods[i].name); got != i {
			t.Errorf("methodIndex(%q) = %d, want %d", transportMethods[i].name, got, i)
		}
	}
	if transportMethods[methodWrite].name != "write" {
		t.Errorf("methodWrite is %q", transportMethods[methodWrite].name)
	}
	for _, name := range []string{"", "a", "writez", "zzz", "close_"} {
		if i := methodIndex(name); i != -1 {
			t.Errorf("methodIndex(%q) = %d", name, i)
		}
	}
}

// TestKeptSlicesSurviveCollections keeps, of every value a stream
// delivers, its first byte and the rest as two slices (which share the
// value's memory), with collections made frequent, and past the arena's
// bound on live chunks; at EOF it writes the pieces back in order.
func TestKeptSlicesSurviveCollections(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(5))
	te := newTestEnv(t, Options{Permissions: allowLocal, MaxSteps: 100_000_000})
	g := te.exec(`
heads = []
tails = []
def connection_made(self, transport):
    self.transport = transport
def data_received(self, data):
    heads.append(data[:1])
    tails.append(data[1:])
def eof_received(self):
    for i in range(len(heads)):
        self.transport.write(heads[i])
        self.transport.write(tails[i])
    srv.close()
Keep = protocol("Keep", connection_made = connection_made, data_received = data_received,
                eof_received = eof_received)
srv = loop.run_until_complete(loop.create_server(Keep, "127.0.0.1", 0))
`)
	// 24 MiB: more than the receive arena's bound on live chunks.
	py := startPython(t, pyBulk, itoa(te.serverPort(g, "srv")), "24", "random")
	te.run()
	if out := py.wait(t); strings.TrimSpace(out) != "ok" {
		t.Fatalf("client: %s", out)
	}
	if n := len(te.e.recvArena().chunks); n > recvMaxLiveChunks {
		t.Errorf("the arena tracks %d chunks, more than its bound %d", n, recvMaxLiveChunks)
	}
}
