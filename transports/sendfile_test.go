package transports

import (
	"bytes"
	"github.com/starnet-dev/starnet/internal/testkit"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/starnet-dev/starnet/loop"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pyHashServer accepts one connection, reads it to EOF and prints the
// length and hash. With an argument, it waits for a line on stdin before
// reading.
const pyHashServer = `
import socket, hashlib, sys
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
print(srv.getsockname()[1], flush=True)
c, _ = srv.accept()
if len(sys.argv) > 1:
    sys.stdin.readline()
h = hashlib.sha256()
n = 0
while True:
    b = c.recv(1 << 20)
    if not b:
        break
    n += len(b)
    h.update(b)
print(n, h.hexdigest())
`

// writeTempFile writes content to a new file and opens it for reading.
func writeTempFile(t *testing.T, content []byte) *os.File {
	t.Helper()
	path := filepath.Join(t.TempDir(), "data")
	require.NoError(t, os.WriteFile(path, content, 0o600))
	f, err := os.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

// connectToHashServer starts a python3 hash server and connects a recorder.
func connectToHashServer(t *testing.T, tl *testLoop, onMade func(r *recorder), args ...string) (*peerProc, *recorder) {
	t.Helper()
	peer := startPython(tl, pyHashServer, args...)
	port, _ := strconv.Atoi(peer.ReadLine())
	var rec *recorder
	tl.mustAwait(CreateConnection(tl.Loop, func() (BaseProtocol, error) {
		rec = newRecorder(tl.Loop)
		rec.onMade = onMade
		return rec, nil
	}, "127.0.0.1", port, DialOptions{}))
	return peer, rec
}

// whenDone calls fn with f's outcome once it is done.
func whenDone(f *loop.Future, fn func(v any, err error)) {
	f.AddDoneCallback(func(f *loop.Future) { fn(f.Result()) })
}

// expectPeerGot checks the hash server's report.
func expectPeerGot(t *testing.T, tl *testLoop, peer *peerProc, want []byte) {
	t.Helper()
	out := tl.mustAwait(peer.Output(tl)).(string)
	assert.Equal(t, strconv.Itoa(len(want))+" "+sha(want), strings.TrimSpace(out), "peer got")
}

func concat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// Sendfile over TCP: the write buffer (a header the kernel could not take at
// once) goes first, then 24 MB of the file with sendfile(2), then what is
// written after the Future resolves; a python3 reader gets exactly that.
// Meanwhile Write fails with a RuntimeError and reading is paused; after,
// reading resumes and the file's position is after the last byte sent.
func TestSendfileTCP(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	header := randomBytes(8<<20, 1)
	content := randomBytes(24<<20+3, 2)
	trailer := []byte("trailer")
	f := writeTempFile(t, content)
	var sent any
	var sfErr error
	peer, rec := connectToHashServer(t, tl, func(r *recorder) {
		_ = r.tr.SetWriteBufferLimits(intp(1<<30), nil)
		_ = r.tr.Write(header)
		assert.NotEqual(t, 0, r.tr.GetWriteBufferSize(), "the kernel took the whole header: the flush-first path is not tested")
		fut := Sendfile(tl.Loop, r.tr, f, 0, 0)
		var e *Error
		err := r.tr.Write([]byte("x"))
		require.ErrorAs(t, err, &e, "Write during sendfile = %v, want RuntimeError", err)
		assert.Equal(t, KindRuntimeError, e.Kind, "Write during sendfile = %v, want RuntimeError", err)
		err = r.tr.Writelines([][]byte{[]byte("x")})
		require.ErrorAs(t, err, &e, "Writelines during sendfile = %v, want RuntimeError", err)
		assert.Equal(t, KindRuntimeError, e.Kind, "Writelines during sendfile = %v, want RuntimeError", err)
		assert.False(t, r.tr.IsReading(), "still reading during sendfile")
		whenDone(fut, func(v any, err error) {
			sent, sfErr = v, err
			assert.True(t, r.tr.IsReading(), "reading not resumed after sendfile")
			assert.NoError(t, r.tr.Write(trailer), "Write after sendfile")
			r.tr.Close()
		})
	}, "wait")
	peer.Send("go")
	require.Nil(t, tl.mustAwait(rec.lost), "ConnectionLost")
	require.NoError(t, sfErr, "Sendfile = %v, %v; want %d", sent, sfErr, len(content))
	require.Equal(t, int64(len(content)), sent, "Sendfile = %v, %v; want %d", sent, sfErr, len(content))
	expectPeerGot(t, tl, peer, concat(header, content, trailer))
	pos, _ := f.Seek(0, io.SeekCurrent)
	assert.Equal(t, int64(len(content)), pos, "file position %d, want %d", pos, len(content))
	tl.expectNoReports()
}

// An offset and a count send exactly that slice; Close right after Sendfile
// waits for it, as it waits for the write buffer.
func TestSendfileOffsetCountAndClose(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	content := randomBytes(1<<20, 3)
	f := writeTempFile(t, content)
	var fut *loop.Future
	peer, rec := connectToHashServer(t, tl, func(r *recorder) {
		fut = Sendfile(tl.Loop, r.tr, f, 1000, 700_000)
		r.tr.Close()
		assert.Equal(t, 0, r.lostN, "lost during Close")
	})
	require.Nil(t, tl.mustAwait(rec.lost), "ConnectionLost")
	v, err := fut.Result()
	require.NoError(t, err, "Sendfile = %v, %v", v, err)
	require.Equal(t, int64(700_000), v, "Sendfile = %v, %v", v, err)
	expectPeerGot(t, tl, peer, content[1000:701_000])
	pos, _ := f.Seek(0, io.SeekCurrent)
	assert.Equal(t, int64(701_000), pos, "file position %d, want 701000", pos)
	tl.expectNoReports()
}

// Abort during a sendfile fails its Future with a ConnectionError;
// ConnectionLost(nil) follows.
func TestSendfileAbort(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	f := writeTempFile(t, nil)
	require.NoError(t, os.Truncate(f.Name(), 256<<20)) // sparse: quick to make
	var fut *loop.Future
	started := tl.NewFuture()
	_, port := tl.serve(func() (BaseProtocol, error) {
		r := newRecorder(tl.Loop)
		r.onMade = func(r *recorder) {
			fut = Sendfile(tl.Loop, r.tr, f, 0, 0)
			tl.CallSoon(func() { tl.CallSoon(r.tr.Abort) })
			_ = started.SetResult(nil)
		}
		return r, nil
	}, ListenOptions{})
	peer := startPython(tl, pyBulkReader, strconv.Itoa(port), "wait")
	peer.ReadLine()
	tl.mustAwait(started)
	_, err := tl.await(fut)
	var e *Error
	require.ErrorAs(t, err, &e, "Sendfile after Abort: %v, want ConnectionError", err)
	require.Equal(t, KindConnectionError, e.Kind, "Sendfile after Abort: %v, want ConnectionError", err)
	peer.Send("go")
	tl.mustAwait(peer.Output(tl))
	tl.expectNoReports()
}

// A file sendfile(2) cannot read (the read end of a pipe fed by a child) is
// copied instead, to its end.
func TestSendfileCopiesFromPipe(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	r, w := osPipe(t)
	const total = 5_000_000
	startWithStdout(t, w, "yes | head -c "+strconv.Itoa(total))
	var fut *loop.Future
	peer, rec := connectToHashServer(t, tl, func(rr *recorder) {
		fut = Sendfile(tl.Loop, rr.tr, r, 0, 0)
		rr.tr.Close()
	})
	require.Nil(t, tl.mustAwait(rec.lost), "ConnectionLost")
	v, err := fut.Result()
	require.NoError(t, err, "Sendfile = %v, %v", v, err)
	require.Equal(t, int64(total), v, "Sendfile = %v, %v", v, err)
	expectPeerGot(t, tl, peer, bytes.Repeat([]byte("y\n"), total/2))
}

// On a write pipe transport the file is written in chunks through Write
// with the pipe's flow control; the protocol is swapped meanwhile and
// restored after, and it sees no flow-control callback of the sendfile's.
func TestSendfileFallbackWritePipe(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	content := randomBytes(16<<20+5, 5)
	f := writeTempFile(t, content)
	r, w := osPipe(t)
	testkit.RequireTool(t, "python3")
	cmd := exec.Command("python3", "-c", pyReadAll)
	cmd.Stdin = r
	var out bytes.Buffer
	cmd.Stdout = &out
	require.NoError(t, cmd.Start())
	r.Close()
	exited := tl.NewFuture()
	tl.Ref()
	go func() {
		err := cmd.Wait()
		_ = tl.CallSoonThreadsafe(func() {
			tl.Unref()
			_ = exited.SetResult(err)
		})
	}()
	var rec *pipeRecorder
	var fut *loop.Future
	tl.mustAwait(ConnectWritePipe(tl.Loop, func() (BaseProtocol, error) {
		rec = newPipeRecorder(tl.Loop)
		rec.onMade = func(r *pipeRecorder) {
			wt := r.tr.(WriteTransport)
			fut = Sendfile(tl.Loop, wt, f, 0, 0)
			assert.NotSame(t, BaseProtocol(r), wt.GetProtocol(), "protocol not replaced during the sendfile")
			whenDone(fut, func(v any, err error) {
				assert.Same(t, BaseProtocol(r), wt.GetProtocol(), "protocol not restored")
				wt.Close()
			})
		}
		return rec, nil
	}, w))
	require.Nil(t, tl.mustAwait(rec.lost), "ConnectionLost")
	v, err := fut.Result()
	require.NoError(t, err, "Sendfile = %v, %v", v, err)
	require.Equal(t, int64(len(content)), v, "Sendfile = %v, %v", v, err)
	err, _ = tl.mustAwait(exited).(error)
	require.NoError(t, err)
	assert.Equal(t, strconv.Itoa(len(content))+" "+sha(content), strings.TrimSpace(out.String()), "reader got")
	assert.Equal(t, "made,lost", eventsString(rec.events), "events")
	tl.expectNoReports()
}

// Argument errors fail the Future.
func TestSendfileErrors(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	f := writeTempFile(t, []byte("abc"))
	peer, rec := connectToHashServer(t, tl, nil)
	var e *Error
	_, err := tl.await(Sendfile(tl.Loop, rec.tr, nil, 0, 0))
	require.ErrorAs(t, err, &e, "nil file: %v", err)
	assert.Equal(t, KindTypeError, e.Kind, "nil file: %v", err)
	_, err = tl.await(Sendfile(tl.Loop, rec.tr, f, -1, 0))
	require.ErrorAs(t, err, &e, "negative offset: %v", err)
	assert.Equal(t, KindValueError, e.Kind, "negative offset: %v", err)
	rec.tr.Close()
	_, err = tl.await(Sendfile(tl.Loop, rec.tr, f, 0, 0))
	require.ErrorAs(t, err, &e, "closing transport: %v", err)
	assert.Equal(t, KindRuntimeError, e.Kind, "closing transport: %v", err)
	assert.Equal(t, "Transport is closing", e.Message, "closing transport: %v", err)
	tl.mustAwait(rec.lost)
	expectPeerGot(t, tl, peer, nil)
}
