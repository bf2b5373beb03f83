package transports

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/starnet-dev/starnet/loop"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pyStalledReader accepts one connection and reads nothing until a line
// comes on stdin: "read" reads to EOF and prints the byte count and the
// SHA-256 of what came; "reset" closes with a RST (SO_LINGER 0).
const pyStalledReader = `
import hashlib, socket, struct, sys
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
print(srv.getsockname()[1], flush=True)
c, _ = srv.accept()
what = sys.stdin.readline().strip()
if what == "reset":
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
    print("reset", flush=True)
    sys.exit(0)
h, n = hashlib.sha256(), 0
while True:
    d = c.recv(1 << 20)
    if not d:
        break
    h.update(d)
    n += len(d)
print(n, h.hexdigest(), flush=True)
`

// drainWriter writes chunks in a loop, calling Drain after each write and
// waiting when it is not done, as `writer.write(chunk); await
// writer.drain()` does. It records the largest write buffer seen.
type drainWriter struct {
	w      *StreamWriter
	chunk  []byte
	left   int
	maxBuf int
	waits  int
	onWait func(n int) // called when a drain waits, with the wait's number
	done   *loop.Future
}

func (d *drainWriter) next() {
	for d.left > 0 {
		if err := d.w.Write(d.chunk); err != nil {
			_ = d.done.SetException(err)
			return
		}
		d.left--
		d.maxBuf = max(d.maxBuf, d.w.Transport().GetWriteBufferSize())
		f := d.w.Drain()
		if !f.Done() {
			d.waits++
			if d.onWait != nil {
				d.onWait(d.waits)
			}
			f.AddDoneCallback(d.drained)
			return
		}
		if err := f.Exception(); err != nil {
			_ = d.done.SetException(err)
			return
		}
	}
	_ = d.done.SetResult(nil)
}

func (d *drainWriter) drained(f *loop.Future) {
	if err := f.Exception(); err != nil {
		_ = d.done.SetException(err)
		return
	}
	d.next()
}

// dialStalled connects a stream client to a pyStalledReader peer.
func dialStalled(t *testing.T, tl *testLoop) (*peerProc, *StreamReaderProtocol) {
	peer := startPython(tl, pyStalledReader)
	port, err := strconv.Atoi(peer.ReadLine())
	require.NoError(t, err)
	conn := tl.mustAwait(CreateConnection(tl.Loop, func() (BaseProtocol, error) {
		return NewStreamReaderProtocol(tl.Loop, DefaultStreamLimit), nil
	}, "127.0.0.1", port, DialOptions{})).(*Connection)
	return peer, conn.Protocol.(*StreamReaderProtocol)
}

// 16 MiB written to a peer that does not read: drain waits once the
// transport pauses writing, so the write buffer never holds much more than
// the high-water mark (64 KiB) plus the chunk being written; once the
// peer reads, every byte arrives.
func TestStreamDrainBoundsMemory(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	peer, p := dialStalled(t, tl)
	const total = 16 << 20
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
	d := &drainWriter{w: p.Writer, chunk: chunk, left: total / len(chunk), done: tl.NewFuture()}
	d.onWait = func(n int) {
		if n == 1 {
			peer.Send("read") // the writer is waiting in drain: let the peer read
		}
	}
	d.next()
	tl.mustAwait(d.done)
	p.Writer.Close()
	tl.mustAwait(p.Writer.WaitClosed())
	_, high := p.Writer.Transport().GetWriteBufferLimits()
	assert.Equal(t, DefaultHighWater, high)
	assert.Positive(t, d.waits, "drain never waited")
	assert.LessOrEqual(t, d.maxBuf, high+len(chunk), "write buffer grew past the high-water mark and one chunk")
	sum := sha256.New()
	for range total / len(chunk) {
		sum.Write(chunk)
	}
	out := tl.mustAwait(peer.Output(tl)).(string)
	assert.Equal(t, fmt.Sprintf("%d %s", total, hex.EncodeToString(sum.Sum(nil))), strings.TrimSpace(out))
	tl.expectNoReports()
}

// A drain waiting when the peer resets the connection fails with the
// connection's error, and so does every drain after it.
func TestStreamDrainFailsOnceLost(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	peer, p := dialStalled(t, tl)
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	d := &drainWriter{w: p.Writer, chunk: chunk, left: 1 << 20, done: tl.NewFuture()}
	d.onWait = func(n int) {
		if n == 1 {
			peer.Send("reset")
		}
	}
	d.next()
	_, err := tl.await(d.done)
	require.Error(t, err, "writing went on after the reset")
	assert.Equal(t, 1, d.waits, "the first waiting drain failed")
	var te *Error
	require.True(t, errors.As(err, &te), "%T %v", err, err)
	assert.Equal(t, KindConnectionResetError, te.Kind, "%v", err)

	_, again := tl.await(p.Writer.Drain())
	assert.Equal(t, err, again, "a later drain fails with the reader's error")
	_, err = tl.await(p.Writer.WaitClosed())
	assert.Error(t, err, "wait_closed fails with the connection's error")
	_, err = tl.await(p.Reader.Read(-1))
	assert.Error(t, err, "the reader fails with it")
	assert.Equal(t, "reset", strings.TrimSpace(tl.mustAwait(peer.Output(tl)).(string)))
}

// Feeding the input one byte at a time, a read waiting at every byte
// boundary gets what it gets when the input is there at once: readuntil
// with a separator split over feeds, readexactly, readline, and EOF in the
// middle of a line (readline's partial line, readuntil's and
// readexactly's IncompleteReadError).
func TestStreamReaderOneByteFeeds(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	input := []byte("HEAD\r\n\r\nbody12345line one\nlast line without end")
	type read struct {
		name string
		do   func(r *StreamReader) *loop.Future
	}
	reads := []read{
		{"readuntil CRLFCRLF", func(r *StreamReader) *loop.Future { return r.ReadUntil([]byte("\r\n\r\n")) }},
		{"readexactly 9", func(r *StreamReader) *loop.Future { return r.ReadExactly(9) }},
		{"readline", (*StreamReader).Readline},
		{"readline at EOF", (*StreamReader).Readline},
		{"readline after EOF", (*StreamReader).Readline},
		{"readexactly after EOF", func(r *StreamReader) *loop.Future { return r.ReadExactly(1) }},
		{"readuntil after EOF", func(r *StreamReader) *loop.Future { return r.ReadUntil([]byte("\n")) }},
	}
	want := []string{"HEAD\r\n\r\n", "body12345", "line one\n", "last line without end", "",
		"IncompleteReadError: 0 bytes read on a total of 1 expected bytes",
		"IncompleteReadError: 0 bytes read on a total of undefined expected bytes"}
	outcome := func(f *loop.Future) string {
		v, err := f.Result()
		if err != nil {
			return err.Error()
		}
		return string(v.([]byte))
	}

	r := NewStreamReader(tl.Loop, 100)
	fed := 0
	var got []string
	for _, rd := range reads {
		f := rd.do(r)
		for !f.Done() && fed < len(input) {
			r.FeedData(input[fed : fed+1])
			fed++
		}
		if !f.Done() {
			r.FeedEOF()
		}
		require.True(t, f.Done(), "%s after the whole input and EOF", rd.name)
		got = append(got, outcome(f))
	}
	assert.Equal(t, want, got)

	// The same reads with everything there at once.
	r = NewStreamReader(tl.Loop, 100)
	r.FeedData(input)
	r.FeedEOF()
	got = nil
	for _, rd := range reads {
		got = append(got, outcome(rd.do(r)))
	}
	assert.Equal(t, want, got)

	// EOF in the middle of readexactly and readuntil: the partial bytes.
	r = NewStreamReader(tl.Loop, 100)
	f := r.ReadExactly(10)
	r.FeedData([]byte("abc"))
	r.FeedEOF()
	var ire *IncompleteReadError
	require.True(t, errors.As(f.Exception(), &ire))
	assert.Equal(t, "abc", string(ire.Partial))
	assert.Equal(t, 10, ire.Expected)
	r = NewStreamReader(tl.Loop, 100)
	f = r.ReadUntil([]byte("\r\n"))
	r.FeedData([]byte("no end\r"))
	r.FeedEOF()
	require.True(t, errors.As(f.Exception(), &ire))
	assert.Equal(t, "no end\r", string(ire.Partial))
	assert.Equal(t, -1, ire.Expected)
}

// A peer sends 1 MiB without a newline to a reader with a 1 KiB limit:
// the reader pauses reading once it holds more than twice the limit, so
// its buffer stays bounded; readuntil fails with LimitOverrunError without
// consuming, readline with ValueError, dropping what it holds, and reading
// resumes, until EOF.
func TestStreamReaderLimitOverSocket(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	const limit = 1024
	conn := tl.NewFuture()
	_, port := tl.serve(func() (BaseProtocol, error) {
		p := NewStreamReaderProtocol(tl.Loop, limit)
		p.OnConnect = func(*StreamReader, *StreamWriter) { _ = conn.SetResult(p) }
		return p, nil
	}, ListenOptions{})
	peer := startPython(tl, `
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
s.sendall(b"x" * (1 << 20))
s.sendall(b"\nshort line\n")
s.shutdown(socket.SHUT_WR)
assert s.recv(10) == b""
`, strconv.Itoa(port))
	p := tl.mustAwait(conn).(*StreamReaderProtocol)
	r := p.Reader

	// Wait until the reader paused the transport: its buffer is over 2×limit.
	for i := 0; !r.paused; i++ {
		require.Less(t, i, 1_000_000, "the reader never paused reading")
		tl.spin(1)
	}
	held := len(r.Buffered())
	assert.Greater(t, held, 2*limit)
	assert.Less(t, held, 1<<20, "the reader took everything despite the pause")

	_, err := tl.await(r.ReadUntil([]byte("\n")))
	var loe *LimitOverrunError
	require.True(t, errors.As(err, &loe), "%v", err)
	assert.Equal(t, "Separator is not found, and chunk exceed the limit", loe.Message)
	assert.Equal(t, held, len(r.Buffered()), "readuntil consumed bytes")

	// readline drops the long line a buffer at a time (what is left of it
	// after the last drop may come back as a shorter line of x).
	drops := 0
	for {
		v, err := tl.await(r.Readline())
		if err == nil && string(v.([]byte)) == "short line\n" {
			break
		}
		if err == nil {
			assert.Equal(t, strings.Repeat("x", len(v.([]byte))-1)+"\n", string(v.([]byte)))
		} else {
			assert.Contains(t, []string{
				"ValueError: Separator is not found, and chunk exceed the limit",
				"ValueError: Separator is found, but chunk is longer than limit",
			}, err.Error())
			drops++
		}
		require.Less(t, drops, 1<<20/limit+2, "readline never got past the long line")
	}
	assert.Positive(t, drops)
	v := tl.mustAwait(r.Read(-1))
	assert.Empty(t, v)
	assert.True(t, r.AtEOF())
	p.Writer.Close()
	tl.mustAwait(peer.Output(tl))
}
