package transports

import (
	"bytes"
	"strconv"
	"testing"
	"time"

	"github.com/starnet-dev/starnet/loop"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pySendThenUnwrap sends argv[3] bytes of the test pattern, then
// close_notify, waits for the server's, and prints "done".
const pySendThenUnwrap = `
import socket, ssl, sys
port, cafile, size = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
ctx = ssl.create_default_context(cafile=cafile)
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
s.sendall(bytes((i * 7 + i // 251) % 256 for i in range(size)))
s.unwrap().close()
print("done", flush=True)
`

// While the application pauses reading, ciphertext waits in the layer
// only up to the read high-water mark: then the plain transport is paused.
// On resume everything arrives in order.
func TestTLSPauseReadingBoundsBuffering(t *testing.T) {
	t.Parallel()
	const size = 4 << 20
	tl := newTestLoop(t)
	pki := newTestPKI(t)
	var srv *recorder
	made := tl.NewFuture()
	_, port := tl.tlsServe(func() (BaseProtocol, error) {
		srv = newRecorder(tl.Loop)
		srv.onMade = func(r *recorder) {
			r.tr.PauseReading()
			assert.False(t, r.tr.IsReading(), "IsReading after PauseReading")
			_ = made.SetResult(nil)
		}
		return srv, nil
	}, ListenOptions{TLS: pki.serverConfig()})
	peer := startPython(tl, pySendThenUnwrap, strconv.Itoa(port), pki.File, strconv.Itoa(size))
	tl.mustAwait(made)
	layer := srv.tr.(*tlsTransport).e
	tl.mustAwait(pollUntil(tl, func() bool { return layer.plainReadingPaused }))
	assert.GreaterOrEqual(t, layer.pipe.buffered(), tlsReadHighWater, "ciphertext buffered while paused")
	assert.LessOrEqual(t, layer.pipe.buffered(), tlsReadHighWater+loop.ReadBufferSize, "ciphertext buffered while paused")
	assert.Equal(t, 0, srv.data.Len(), "%d bytes delivered while paused", srv.data.Len())
	srv.tr.ResumeReading()
	out := tl.mustAwait(peer.Output(tl)).(string)
	assert.Equal(t, "done\n", out, "peer printed %q", out)
	tl.mustAwait(srv.lost)
	sameBytes(t, "received", srv.data.Bytes(), patterned(size))
	assert.Equal(t, "made,data,eof,lost", eventsString(srv.events), "events")
	require.NoError(t, srv.lostErr, "events")
	tl.expectNoReports()
}

// pollUntil resolves a future once cond holds, checking every millisecond
// (for internal states that announce themselves with no event).
func pollUntil(tl *testLoop, cond func() bool) *loop.Future {
	f := tl.NewFuture()
	var check func()
	check = func() {
		if cond() {
			_ = f.SetResult(nil)
			return
		}
		tl.CallLater(time.Millisecond, check)
	}
	tl.CallSoon(check)
	return f
}

// tlsBufProto is a BufferedProtocol with a small buffer that pauses reading
// now and then.
type tlsBufProto struct {
	tl      *testLoop
	tr      Transport
	buf     []byte
	got     bytes.Buffer
	updates int
	eof     bool
	lost    *loop.Future
}

func (p *tlsBufProto) ConnectionMade(t BaseTransport) { p.tr = t.(Transport) }

func (p *tlsBufProto) GetBuffer(int) []byte { return p.buf }

func (p *tlsBufProto) BufferUpdated(n int) {
	p.got.Write(p.buf[:n])
	p.updates++
	if p.updates%7 == 0 {
		p.tr.PauseReading()
		p.tl.CallSoon(p.tr.ResumeReading)
	}
}

func (p *tlsBufProto) EOFReceived() bool { p.eof = true; return false }

func (p *tlsBufProto) ConnectionLost(err error) { _ = p.lost.SetResult(err) }

func (p *tlsBufProto) PauseWriting() {}

func (p *tlsBufProto) ResumeWriting() {}

// A BufferedProtocol gets the plaintext copied into its own small buffers,
// and pausing between two of them holds the rest back.
func TestTLSBufferedProtocol(t *testing.T) {
	t.Parallel()
	const size = 1 << 20
	tl := newTestLoop(t)
	pki := newTestPKI(t)
	p := &tlsBufProto{tl: tl, buf: make([]byte, 1000), lost: tl.NewFuture()}
	_, port := tl.tlsServe(func() (BaseProtocol, error) { return p, nil }, ListenOptions{TLS: pki.serverConfig()})
	peer := startPython(tl, pySendThenUnwrap, strconv.Itoa(port), pki.File, strconv.Itoa(size))
	tl.mustAwait(peer.Output(tl))
	assert.Nil(t, tl.mustAwait(p.lost), "ConnectionLost")
	sameBytes(t, "received", p.got.Bytes(), patterned(size))
	assert.True(t, p.eof, "eof %v, %d updates", p.eof, p.updates)
	assert.GreaterOrEqual(t, p.updates, size/1000, "eof %v, %d updates", p.eof, p.updates)
	tl.expectNoReports()
}
