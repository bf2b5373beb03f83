package transports

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// pyWaitThenSend connects to argv[1], waits for "ready", sends "abc" and
// prints what it receives until EOF.
const pyWaitThenSend = `
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
got = b""
while got != b"ready":
    got += s.recv(5 - len(got))
s.sendall(b"abc")
out = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    out += b
sys.stdout.write(out.decode())
`

// waitReadable blocks until fd has data to read (bounded by the watchdog).
func waitReadable(t *testing.T, fd int) {
	t.Helper()
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, int(watchdog.Milliseconds()))
		if err == unix.EINTR {
			continue
		}
		require.NoError(t, err, "poll: n=%d err=%v", n, err)
		require.Equal(t, 1, n, "poll: n=%d err=%v", n, err)
		return
	}
}

// PauseReading inside ConnectionMade is honoured: data that arrives stays in
// the kernel until ResumeReading. Both are idempotent.
func TestPauseReadingWithPendingData(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	var rec *recorder
	_, port := tl.serve(func() (BaseProtocol, error) {
		rec = newRecorder(tl.Loop)
		rec.onMade = func(r *recorder) {
			r.tr.PauseReading()
			r.tr.PauseReading()
			assert.False(t, r.tr.IsReading(), "IsReading() after PauseReading")
			_ = r.tr.Write([]byte("ready"))
			tl.CallSoon(func() {
				waitReadable(t, r.tr.GetExtraInfo("socket").(*Socket).Fileno())
				tl.CallSoon(func() {
					tl.CallSoon(func() {
						assert.Equal(t, 0, r.data.Len(), "DataReceived(%q) while paused", r.data.String())
						r.tr.ResumeReading()
						r.tr.ResumeReading()
						assert.True(t, r.tr.IsReading(), "!IsReading() after ResumeReading")
					})
				})
			})
		}
		rec.onData = func(r *recorder, data []byte) {
			if r.data.String() == "abc" {
				_ = r.tr.Write([]byte("got abc"))
				r.tr.Close()
				assert.False(t, r.tr.IsReading(), "IsReading() on a closing transport")
			}
		}
		return rec, nil
	}, ListenOptions{})
	peer := startPython(tl, pyWaitThenSend, strconv.Itoa(port))
	out := tl.mustAwait(peer.Output(tl)).(string)
	tl.mustAwait(rec.lost)
	assert.Equal(t, "got abc", out, "peer got %q; events %v", out, rec.events)
	assert.Equal(t, "made,data,lost", eventsString(rec.events), "peer got %q; events %v", out, rec.events)
	tl.expectNoReports()
}

// bufProto is a BufferedProtocol with a fixed-size buffer that collects what
// it receives.
type bufProto struct {
	recorder
	buf      []byte
	got      bytes.Buffer
	sizes    []int
	onUpdate func(p *bufProto)
}

func (p *bufProto) GetBuffer(sizehint int) []byte {
	p.sizes = append(p.sizes, sizehint)
	return p.buf
}

func (p *bufProto) BufferUpdated(n int) {
	p.event("data")
	p.got.Write(p.buf[:n])
	if p.onUpdate != nil {
		p.onUpdate(p)
	}
}

// pySendAll connects to argv[1], sends argv[2] bytes of a fixed pattern,
// half-closes and prints the length and SHA-256 of what comes back.
const pySendAll = `
import socket, sys, hashlib
n = int(sys.argv[2])
data = (bytes(range(256)) * (n // 256 + 1))[:n]
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(data)
s.shutdown(socket.SHUT_WR)
h = hashlib.sha256()
got = 0
while True:
    b = s.recv(1 << 20)
    if not b:
        break
    got += len(b)
    h.update(b)
print(got, h.hexdigest())
`

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// A BufferedProtocol is read straight into its buffer, whatever its size.
func TestBufferedProtocol(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ bufSize, n int }{{1, 3000}, {1 << 20, 8 << 20}} {
		t.Run(fmt.Sprintf("buffer=%d", tc.bufSize), func(t *testing.T) {
			t.Parallel()
			tl := newTestLoop(t)
			var p *bufProto
			_, port := tl.serve(func() (BaseProtocol, error) {
				p = &bufProto{recorder: *newRecorder(tl.Loop), buf: make([]byte, tc.bufSize)}
				p.onEOF = func(r *recorder) bool {
					_ = r.tr.Write(p.got.Bytes())
					return false
				}
				return p, nil
			}, ListenOptions{})
			peer := startPython(tl, pySendAll, strconv.Itoa(port), strconv.Itoa(tc.n))
			out := tl.mustAwait(peer.Output(tl)).(string)
			tl.mustAwait(p.lost)
			want := pattern(tc.n)
			assert.True(t, bytes.Equal(p.got.Bytes(), want), "protocol got %d bytes, not the %d sent", p.got.Len(), tc.n)
			assert.Equal(t, fmt.Sprintf("%d %s", tc.n, sha(want)), strings.TrimSpace(out), "peer got back %q", out)
			if tc.bufSize == 1 {
				assert.GreaterOrEqual(t, len(p.sizes), tc.n, "GetBuffer calls for %d bytes", tc.n)
			}
			assert.Equal(t, -1, p.sizes[0], "sizehint %d, want -1 as asyncio", p.sizes[0])
			// Writing 8 MiB back may pause and resume writing on the way.
			assert.Equal(t, "made,data,eof,lost", withoutFlowControl(t, p.events), "events %v", p.events)
			tl.expectNoReports()
		})
	}
}

// badBuffer is a BufferedProtocol whose GetBuffer or BufferUpdated fails.
type badBuffer struct {
	recorder
	mode string
}

func (p *badBuffer) GetBuffer(int) []byte {
	switch p.mode {
	case "empty":
		return nil
	case "panic":
		panic("get_buffer bug")
	}
	return make([]byte, 16)
}

func (p *badBuffer) BufferUpdated(int) { panic("buffer_updated bug") }

// An empty buffer or a panic in GetBuffer or BufferUpdated is a fatal error:
// reported, and ConnectionLost gets the error.
func TestBufferedProtocolFailures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ mode, message, text string }{
		{"empty", "Fatal error: protocol.get_buffer() call failed.", "RuntimeError: get_buffer() returned an empty buffer"},
		{"panic", "Fatal error: protocol.get_buffer() call failed.", "get_buffer bug"},
		{"updated", "Fatal error: protocol.buffer_updated() call failed.", "buffer_updated bug"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			t.Parallel()
			tl := newTestLoop(t)
			p := &badBuffer{recorder: *newRecorder(tl.Loop), mode: tc.mode}
			_, peer := socketPair(t, tl, p)
			unix.Write(peer, []byte("data"))
			err, _ := tl.mustAwait(p.lost).(error)
			var e *Error
			require.ErrorAs(t, err, &e, "ConnectionLost(%v)", err)
			assert.Equal(t, KindRuntimeError, e.Kind, "ConnectionLost(%v)", err)
			assert.Contains(t, err.Error(), tc.text, "ConnectionLost(%v)", err)
			require.Len(t, tl.reportMessages(), 1, "reports")
			assert.Equal(t, tc.message, tl.reportMessages()[0], "reports")
			assert.Equal(t, 1, p.lostN, "ConnectionLost called %d times", p.lostN)
		})
	}
}

// pyLockstep connects to argv[1] and sends 10 "A", 10 "B", 10 "C", each
// after the server's acknowledgement of the previous batch.
const pyLockstep = `
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
for batch, ack in ((b"A", b"1"), (b"B", b"2"), (b"C", b"3")):
    s.sendall(batch * 10)
    assert s.recv(1) == ack
s.close()
print("ok")
`

// SetProtocol switches between a Protocol and a BufferedProtocol at any
// time; the next read goes to the new one.
func TestSetProtocolSwitchesReadMode(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	first := newRecorder(tl.Loop)
	second := &bufProto{recorder: *newRecorder(tl.Loop), buf: make([]byte, 4)}
	third := newRecorder(tl.Loop)
	first.onData = func(r *recorder, data []byte) {
		if r.data.Len() == 10 {
			r.tr.SetProtocol(second)
			assert.Same(t, second, r.tr.GetProtocol(), "GetProtocol after SetProtocol")
			second.tr = r.tr
			_ = r.tr.Write([]byte("1"))
		}
	}
	second.onUpdate = func(p *bufProto) {
		if p.got.Len() == 10 {
			p.tr.SetProtocol(third)
			third.tr = p.tr
			_ = p.tr.Write([]byte("2"))
		}
	}
	third.onData = func(r *recorder, data []byte) {
		if r.data.Len() == 10 {
			_ = r.tr.Write([]byte("3"))
		}
	}
	_, port := tl.serve(func() (BaseProtocol, error) { return first, nil }, ListenOptions{})
	peer := startPython(tl, pyLockstep, strconv.Itoa(port))
	out := tl.mustAwait(peer.Output(tl)).(string)
	assert.Equal(t, "ok\n", out, "peer printed %q", out)
	tl.mustAwait(third.lost)
	assert.Equal(t, strings.Repeat("A", 10), first.data.String(), "got %q, %q, %q", first.data.String(), second.got.String(), third.data.String())
	assert.Equal(t, strings.Repeat("B", 10), second.got.String(), "got %q, %q, %q", first.data.String(), second.got.String(), third.data.String())
	assert.Equal(t, strings.Repeat("C", 10), third.data.String(), "got %q, %q, %q", first.data.String(), second.got.String(), third.data.String())
	assert.Equal(t, "made,data", eventsString(first.events), "events %v / %v / %v", first.events, second.events, third.events)
	assert.Equal(t, "data", eventsString(second.events), "events %v / %v / %v", first.events, second.events, third.events)
	assert.Equal(t, "data,eof,lost", eventsString(third.events), "events %v / %v / %v", first.events, second.events, third.events)
	tl.expectNoReports()
}

// pyEchoServer listens, prints its port, and echoes one connection until
// EOF.
const pyEchoServer = `
import socket, sys
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
print(srv.getsockname()[1], flush=True)
c, _ = srv.accept()
n = 0
while True:
    b = c.recv(1 << 20)
    if not b:
        break
    c.sendall(b)
    n += len(b)
c.close()
print(n)
`

// A 16 MiB single write is echoed back intact, both by a Python echo
// server to our client and by our echo server to a Python client.
func TestSixteenMiBEcho(t *testing.T) {
	t.Parallel()
	const size = 16 << 20
	t.Run("client", func(t *testing.T) {
		t.Parallel()
		tl := newTestLoop(t)
		payload := randomBytes(size, 5)
		peer := startPython(tl, pyEchoServer)
		port, _ := strconv.Atoi(peer.ReadLine())
		rec := newRecorder(tl.Loop)
		rec.onMade = func(r *recorder) {
			_ = r.tr.Write(payload)
			_ = r.tr.WriteEOF()
		}
		tl.mustAwait(CreateConnection(tl.Loop, func() (BaseProtocol, error) { return rec, nil }, "127.0.0.1", port, DialOptions{}))
		tl.mustAwait(rec.lost)
		tl.mustAwait(peer.Output(tl))
		assert.True(t, bytes.Equal(rec.data.Bytes(), payload), "echoed %d bytes differ from the %d sent", rec.data.Len(), size)
		tl.expectNoReports()
	})
	t.Run("server", func(t *testing.T) {
		t.Parallel()
		tl := newTestLoop(t)
		_, port := tl.serve(echoFactory, ListenOptions{})
		peer := startPython(tl, pySendAll, strconv.Itoa(port), strconv.Itoa(size))
		out := tl.mustAwait(peer.Output(tl)).(string)
		assert.Equal(t, fmt.Sprintf("%d %s", size, sha(pattern(size))), strings.TrimSpace(out), "peer got")
		tl.expectNoReports()
	})
}

// Writelines sends the buffers in order, with the same buffering rules as
// Write.
func TestWritelines(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	rec := newRecorder(tl.Loop)
	big := randomBytes(8<<20, 6)
	rec.onMade = func(r *recorder) {
		_ = r.tr.Writelines([][]byte{[]byte("a"), []byte("bc"), nil, []byte("def")})
		_ = r.tr.Writelines([][]byte{big[:3<<20], big[3<<20:]})
		_ = r.tr.Writelines([][]byte{[]byte("tail")})
		r.tr.Close()
	}
	_, peer := socketPair(t, tl, rec)
	var got bytes.Buffer
	done := tl.NewFuture()
	var read func()
	read = func() {
		buf := make([]byte, 1<<20)
		for {
			n, err := unix.Read(peer, buf)
			if n > 0 {
				got.Write(buf[:n])
				continue
			}
			if n == 0 && err == nil {
				_ = done.SetResult(nil)
				return
			}
			break
		}
		tl.CallSoon(read)
	}
	unix.SetNonblock(peer, true)
	tl.CallSoon(read)
	tl.mustAwait(done)
	want := append(append([]byte("abcdef"), big...), "tail"...)
	assert.True(t, bytes.Equal(got.Bytes(), want), "peer got %d bytes, want %d in order", got.Len(), len(want))
	tl.expectNoReports()
}

// A write error (the peer is gone) is a fatal error: ConnectionLost gets a
// BrokenPipeError or ConnectionResetError, not reported (an OSError). The
// writes after it are dropped, and from the fifth count (the loss is the
// first) each is reported, as asyncio logs them, in every mode.
func TestWriteToClosedPeer(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	rec := newRecorder(tl.Loop)
	var peer int
	rec.onMade = func(r *recorder) {
		unix.Close(peer)
		for i := 0; i < 3 && !r.tr.IsClosing(); i++ {
			_ = r.tr.Write([]byte("into the void"))
		}
		assert.True(t, r.tr.IsClosing(), "writes to a closed peer did not fail")
		for i := 0; i < 10; i++ {
			assert.NoError(t, r.tr.Write([]byte("more")), "Write after the connection was lost =")
		}
	}
	_, peer = socketPair(t, tl, rec)
	err, _ := tl.mustAwait(rec.lost).(error)
	var e *Error
	require.ErrorAs(t, err, &e, "ConnectionLost(%v)", err)
	assert.Contains(t, []string{KindBrokenPipeError, KindConnectionResetError}, e.Kind, "ConnectionLost(%v)", err)
	want := make([]string, 10-(logThresholdForConnLostWrites-1))
	for i := range want {
		want[i] = "socket.send() raised exception."
	}
	expectIgnoredWriteReports(t, tl, want...)
}

// In debug mode a connection-level fatal error is reported too.
func TestFatalOSErrorReportedInDebugMode(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	tl.SetDebug(true)
	rec := newRecorder(tl.Loop)
	var peer int
	rec.onMade = func(r *recorder) {
		unix.Close(peer)
		for i := 0; i < 3 && !r.tr.IsClosing(); i++ {
			_ = r.tr.Write([]byte("x"))
		}
		for i := 0; i < logThresholdForConnLostWrites; i++ {
			_ = r.tr.Write([]byte("x"))
		}
	}
	_, peer = socketPair(t, tl, rec)
	tl.mustAwait(rec.lost)
	msgs := tl.reportMessages()
	require.Len(t, msgs, 2, "reports %q", msgs)
	require.Equal(t, "Fatal write error on socket transport", msgs[0], "reports %q", msgs)
	assert.Equal(t, "socket.send() raised exception.", msgs[1], "reports %q", msgs)
}
