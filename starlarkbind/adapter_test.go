package starlarkbind

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
	"unsafe"

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

// TestOwnReadBuffers checks the contract with the socket transport: while
// reads are large the adapter lends a buffer of its own, a read that fills
// half of it or more becomes the bytes value without a copy, and a buffer
// handed over is never lent again.
func TestOwnReadBuffers(t *testing.T) {
	te := newTestEnv(t, Options{MaxSteps: 1_000_000})
	g := te.exec(`
got = []
def data_received(self, data):
    got.append(data)
Keep = protocol("Keep", data_received = data_received)
k = Keep()
`)
	s := newAdapter(te.e, g["k"]).(*streamAdapter)
	if s.OwnReadBuffer() != nil {
		t.Fatal("a buffer was lent before any large read")
	}
	big := bytes.Repeat([]byte{'a'}, bulkRead)
	s.DataReceived(big) // from the loop's buffer: copied, and reads are now large
	buf := s.OwnReadBuffer()
	if len(buf) == 0 {
		t.Fatal("no buffer lent after a large read")
	}
	fill(buf, 'b')
	s.DataReceived(buf[:len(buf)/2]) // half: handed over
	next := s.OwnReadBuffer()
	if &next[0] == &buf[0] {
		t.Fatal("a buffer handed over was lent again")
	}
	fill(next, 'c') // must not reach the value above
	s.DataReceived(next[:bulkRead])
	small := s.OwnReadBuffer()
	fill(small, 'd')
	s.DataReceived(small[:10]) // small: copied, and reads are small again
	if s.OwnReadBuffer() != nil {
		t.Fatal("a buffer was lent after a small read")
	}
	fill(small, 'e')

	got := g["got"].(*starlark.List)
	want := []struct {
		b      byte
		n      int
		shared *byte // the value's bytes are these, not a copy
	}{
		{'a', bulkRead, nil},
		{'b', len(buf) / 2, &buf[0]},
		{'c', bulkRead, nil},
		{'d', 10, nil},
	}
	if got.Len() != len(want) {
		t.Fatalf("got %d values, want %d", got.Len(), len(want))
	}
	for i, w := range want {
		v := string(got.Index(i).(starlark.Bytes))
		if v != strings.Repeat(string(w.b), w.n) {
			t.Errorf("value %d: %d bytes starting %q, want %d × %q", i, len(v), v[:1], w.n, w.b)
		}
		if w.shared != nil && unsafe.StringData(v) != w.shared {
			t.Errorf("value %d was copied, want the lent buffer itself", i)
		}
	}
}

func fill(b []byte, c byte) {
	for i := range b {
		b[i] = c
	}
}

// pyBulk sends 8 MiB in 1 MiB writes without reading (so that the server's
// reads are large), half-closes, then reads everything back and checks it.
const pyBulk = `
import socket, sys, threading
port = int(sys.argv[1])
c = socket.create_connection(("127.0.0.1", port), timeout=20)
data = bytes((i * 31 + i // 4096) % 251 for i in range(8 << 20))
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
// writes them all back only at EOF: a buffer reused after it became a value
// would corrupt the echo.
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
	py := startPython(t, pyBulk, itoa(te.serverPort(g, "srv")))
	te.run()
	if out := py.wait(t); strings.TrimSpace(out) != "ok" {
		t.Fatalf("client: %s", out)
	}
	if n := g["chunks"].(*starlark.List).Len(); n >= (8<<20)/bulkRead*4 {
		t.Errorf("%d reads for 8 MiB: the reads were not large", n)
	}
}
