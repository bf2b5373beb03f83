package transports

import (
	"bytes"
	"github.com/starnet-dev/starnet/internal/testkit"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/starnet-dev/starnet/loop"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pipeRecorder is a Protocol for pipe transports, recording its callbacks.
type pipeRecorder struct {
	tr       BaseTransport
	events   []string
	data     bytes.Buffer
	lostErr  error
	lostN    int
	pauses   int
	resumes  int
	lost     *loop.Future
	onMade   func(r *pipeRecorder)
	onData   func(r *pipeRecorder, data []byte)
	onResume func(r *pipeRecorder)
}

func newPipeRecorder(l *loop.Loop) *pipeRecorder { return &pipeRecorder{lost: l.NewFuture()} }

func (r *pipeRecorder) event(e string) {
	if n := len(r.events); e == "data" && n > 0 && r.events[n-1] == "data" {
		return
	}
	r.events = append(r.events, e)
}

func (r *pipeRecorder) ConnectionMade(t BaseTransport) {
	r.tr = t
	r.event("made")
	if r.onMade != nil {
		r.onMade(r)
	}
}

func (r *pipeRecorder) DataReceived(data []byte) {
	r.event("data")
	r.data.Write(data)
	if r.onData != nil {
		r.onData(r, data)
	}
}

func (r *pipeRecorder) EOFReceived() bool {
	r.event("eof")
	return true // ignored by pipe transports
}

func (r *pipeRecorder) ConnectionLost(err error) {
	r.lostN++
	r.lostErr = err
	r.event("lost")
	if !r.lost.Done() {
		_ = r.lost.SetResult(err)
	}
}

func (r *pipeRecorder) PauseWriting() {
	r.pauses++
	r.event("pause")
}

func (r *pipeRecorder) ResumeWriting() {
	r.resumes++
	r.event("resume")
	if r.onResume != nil {
		r.onResume(r)
	}
}

// osPipe returns a pipe; both ends are closed at the end of the test (a
// transport closing one first is fine).
func osPipe(t *testing.T) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	require.NoError(t, err)
	t.Cleanup(func() {
		r.Close()
		w.Close()
	})
	return r, w
}

// startWriter runs sh -c script with its stdout on w (closed here after the
// start) and returns the command, waited for at the end of the test.
func startWithStdout(t *testing.T, w *os.File, script string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	cmd.Stdout = w
	require.NoError(t, cmd.Start())
	w.Close()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd
}

// A read pipe delivers everything a child writes, honours PauseReading and
// ResumeReading (nothing arrives while paused), then calls EOFReceived and
// ConnectionLost(nil).
func TestReadPipePauseResume(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	r, w := osPipe(t)
	const total = 3_000_000
	startWithStdout(t, w, "yes | head -c "+strconv.Itoa(total))
	var rec *pipeRecorder
	paused := false
	pausedOnce := false
	fut := ConnectReadPipe(tl.Loop, func() (BaseProtocol, error) {
		rec = newPipeRecorder(tl.Loop)
		rec.onData = func(r *pipeRecorder, data []byte) {
			assert.False(t, paused, "data received while paused")
			if r.data.Len() >= total/3 && !pausedOnce {
				pausedOnce, paused = true, true
				rt := r.tr.(ReadTransport)
				rt.PauseReading()
				rt.PauseReading() // idempotent
				assert.False(t, rt.IsReading(), "IsReading after PauseReading")
				tl.CallLater(20*time.Millisecond, func() {
					paused = false
					rt.ResumeReading()
					rt.ResumeReading()
				})
			}
		}
		return rec, nil
	}, r)
	conn := tl.mustAwait(fut).(*Connection)
	assert.Same(t, r, conn.Transport.GetExtraInfo("pipe"), "pipe extra info = %v", conn.Transport.GetExtraInfo("pipe"))
	require.Nil(t, tl.mustAwait(rec.lost), "ConnectionLost")
	require.Equal(t, total, rec.data.Len(), "received %d bytes, want %d", rec.data.Len(), total)
	assert.Equal(t, []byte("y\ny\ny\ny\ny\n"), rec.data.Bytes()[:10], "received %d bytes, want %d", rec.data.Len(), total)
	assert.True(t, pausedOnce, "never paused")
	assert.Equal(t, "made,data,eof,lost", eventsString(rec.events), "events")
	tl.expectNoReports()
}

// pyReadAll reads stdin to its end and prints the length and hash.
const pyReadAll = `
import sys, hashlib
h = hashlib.sha256()
n = 0
while True:
    b = sys.stdin.buffer.read1(1 << 20)
    if not b:
        break
    n += len(b)
    h.update(b)
print(n, h.hexdigest())
`

// A write pipe writes to a python3 reader with flow control, and Close
// flushes before ConnectionLost(nil).
func TestWritePipeFlushesOnClose(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	r, w := osPipe(t)
	testkit.RequireTool(t, "python3")
	cmd := exec.Command("python3", "-c", pyReadAll)
	cmd.Stdin = r
	var out bytes.Buffer
	cmd.Stdout = &out
	require.NoError(t, cmd.Start())
	r.Close()
	done := tl.NewFuture()
	tl.Ref()
	go func() {
		err := cmd.Wait()
		_ = tl.CallSoonThreadsafe(func() {
			tl.Unref()
			_ = done.SetResult(err)
		})
	}()
	payload := randomBytes(8<<20, 4)
	var rec *pipeRecorder
	fut := ConnectWritePipe(tl.Loop, func() (BaseProtocol, error) {
		rec = newPipeRecorder(tl.Loop)
		rec.onMade = func(r *pipeRecorder) {
			wt := r.tr.(WriteTransport)
			for off := 0; off < len(payload); off += 1 << 20 {
				require.NoError(t, wt.Write(payload[off:off+1<<20]))
			}
			assert.NotEqual(t, 0, wt.GetWriteBufferSize(), "the kernel took 8 MB at once: nothing buffered")
			wt.Close()
			_ = wt.Write([]byte("ignored after close"))
		}
		return rec, nil
	}, w)
	tl.mustAwait(fut)
	require.Nil(t, tl.mustAwait(rec.lost), "ConnectionLost")
	err, _ := tl.mustAwait(done).(error)
	require.NoError(t, err, "python3")
	want := strconv.Itoa(len(payload)) + " " + sha(payload)
	assert.Equal(t, want, strings.TrimSpace(out.String()), "reader got %q, want %q", out.String(), want)
	assert.Equal(t, "made,pause,resume,lost", eventsString(rec.events), "events")
	tl.expectNoReports()
}

// A write to a pipe whose reader is gone fails with EPIPE: ConnectionLost
// gets a BrokenPipeError, and nothing is reported outside debug mode.
func TestWritePipeBrokenPipe(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	r, w := osPipe(t)
	r.Close()
	var rec *pipeRecorder
	fut := ConnectWritePipe(tl.Loop, func() (BaseProtocol, error) {
		rec = newPipeRecorder(tl.Loop)
		rec.onMade = func(r *pipeRecorder) { _ = r.tr.(WriteTransport).Write([]byte("hello")) }
		return rec, nil
	}, w)
	tl.mustAwait(fut)
	err, _ := tl.mustAwait(rec.lost).(error)
	var e *Error
	require.ErrorAs(t, err, &e, "ConnectionLost(%v), want BrokenPipeError", err)
	require.Equal(t, KindBrokenPipeError, e.Kind, "ConnectionLost(%v), want BrokenPipeError", err)
	assert.Equal(t, 1, rec.lostN, "ConnectionLost called %d times", rec.lostN)
	tl.expectNoReports()
}

// The write pipe watches for its reader going away: with nothing buffered
// that is a clean ConnectionLost(nil); with data buffered, a
// BrokenPipeError.
func TestWritePipeReaderGone(t *testing.T) {
	t.Parallel()
	for _, buffered := range []bool{false, true} {
		t.Run("buffered="+strconv.FormatBool(buffered), func(t *testing.T) {
			t.Parallel()
			tl := newTestLoop(t)
			r, w := osPipe(t)
			// head reads one byte, then exits, closing the read end.
			cmd := exec.Command("head", "-c", "1")
			cmd.Stdin = r
			require.NoError(t, cmd.Start())
			r.Close()
			t.Cleanup(func() { _ = cmd.Wait() })
			var rec *pipeRecorder
			fut := ConnectWritePipe(tl.Loop, func() (BaseProtocol, error) {
				rec = newPipeRecorder(tl.Loop)
				rec.onMade = func(r *pipeRecorder) {
					wt := r.tr.(WriteTransport)
					if buffered {
						_ = wt.SetWriteBufferLimits(intp(1<<30), nil)
						_ = wt.Write(make([]byte, 4<<20))
						assert.NotEqual(t, 0, wt.GetWriteBufferSize(), "nothing buffered")
					} else {
						_ = wt.Write([]byte("x"))
					}
				}
				return rec, nil
			}, w)
			tl.mustAwait(fut)
			err, _ := tl.mustAwait(rec.lost).(error)
			var e *Error
			if buffered {
				require.ErrorAs(t, err, &e, "ConnectionLost(%v), want BrokenPipeError", err)
				require.Equal(t, KindBrokenPipeError, e.Kind, "ConnectionLost(%v), want BrokenPipeError", err)
			} else {
				require.Nil(t, err, "ConnectionLost")
			}
			tl.expectNoReports()
		})
	}
}

// Regular files work with both pipe transports: a read pipe reads the file
// to its end, a write pipe writes it.
func TestPipeTransportsOnRegularFiles(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	dir := t.TempDir()
	content := randomBytes(3<<20+17, 8)
	src := filepath.Join(dir, "src")
	require.NoError(t, os.WriteFile(src, content, 0o600))
	f, err := os.Open(src)
	require.NoError(t, err)
	var rec *pipeRecorder
	tl.mustAwait(ConnectReadPipe(tl.Loop, func() (BaseProtocol, error) {
		rec = newPipeRecorder(tl.Loop)
		return rec, nil
	}, f))
	require.Nil(t, tl.mustAwait(rec.lost), "read: ConnectionLost")
	require.True(t, bytes.Equal(rec.data.Bytes(), content), "read %d bytes (want %d), events %v", rec.data.Len(), len(content), rec.events)
	require.Equal(t, "made,data,eof,lost", eventsString(rec.events), "read %d bytes (want %d), events %v", rec.data.Len(), len(content), rec.events)
	dst := filepath.Join(dir, "dst")
	g, err := os.Create(dst)
	require.NoError(t, err)
	var wrec *pipeRecorder
	tl.mustAwait(ConnectWritePipe(tl.Loop, func() (BaseProtocol, error) {
		wrec = newPipeRecorder(tl.Loop)
		wrec.onMade = func(r *pipeRecorder) {
			wt := r.tr.(WriteTransport)
			_ = wt.Writelines([][]byte{content[:100], content[100 : 1<<20]})
			_ = wt.Write(content[1<<20:])
			_ = wt.WriteEOF()
		}
		return wrec, nil
	}, g))
	require.Nil(t, tl.mustAwait(wrec.lost), "write: ConnectionLost")
	got, err := os.ReadFile(dst)
	require.NoError(t, err, "file holds %d bytes (want %d), %v", len(got), len(content), err)
	require.True(t, bytes.Equal(got, content), "file holds %d bytes (want %d), %v", len(got), len(content), err)
	tl.runIdle()
	tl.expectNoReports()
}

// /dev/null, which epoll refuses to watch, works too: reading gives EOF at
// once, writing swallows everything.
func TestPipeTransportsOnDevNull(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	rf, err := os.Open(os.DevNull)
	require.NoError(t, err)
	var rec *pipeRecorder
	tl.mustAwait(ConnectReadPipe(tl.Loop, func() (BaseProtocol, error) { rec = newPipeRecorder(tl.Loop); return rec, nil }, rf))
	tl.mustAwait(rec.lost)
	assert.Equal(t, "made,eof,lost", eventsString(rec.events), "read events %v", rec.events)
	wf, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	require.NoError(t, err)
	var wrec *pipeRecorder
	tl.mustAwait(ConnectWritePipe(tl.Loop, func() (BaseProtocol, error) {
		wrec = newPipeRecorder(tl.Loop)
		wrec.onMade = func(r *pipeRecorder) {
			wt := r.tr.(WriteTransport)
			_ = wt.Write(make([]byte, 1<<20))
			assert.Equal(t, 0, wt.GetWriteBufferSize(), "buffered %d bytes for /dev/null", wt.GetWriteBufferSize())
			wt.Close()
		}
		return wrec, nil
	}, wf))
	assert.Nil(t, tl.mustAwait(wrec.lost), "ConnectionLost")
	tl.expectNoReports()
}

// A directory is not a pipe (ValueError); a nil file is a TypeError.
func TestConnectPipeRejects(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	d, err := os.Open(t.TempDir())
	require.NoError(t, err)
	defer d.Close()
	var e *Error
	_, err = tl.await(ConnectReadPipe(tl.Loop, func() (BaseProtocol, error) { return newPipeRecorder(tl.Loop), nil }, d))
	require.ErrorAs(t, err, &e, "directory: %v, want ValueError", err)
	assert.Equal(t, KindValueError, e.Kind, "directory: %v, want ValueError", err)
	_, err = tl.await(ConnectWritePipe(tl.Loop, func() (BaseProtocol, error) { return newPipeRecorder(tl.Loop), nil }, nil))
	require.ErrorAs(t, err, &e, "nil: %v, want TypeError", err)
	assert.Equal(t, KindTypeError, e.Kind, "nil: %v, want TypeError", err)
}

// A panic in a read pipe's DataReceived closes it with the error, as for a
// stream transport, and is reported.
func TestReadPipeDataReceivedPanic(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	r, w := osPipe(t)
	startWithStdout(t, w, "echo hello")
	var rec *pipeRecorder
	tl.mustAwait(ConnectReadPipe(tl.Loop, func() (BaseProtocol, error) {
		rec = newPipeRecorder(tl.Loop)
		rec.onData = func(*pipeRecorder, []byte) { panic("bad data") }
		return rec, nil
	}, r))
	err, _ := tl.mustAwait(rec.lost).(error)
	var e *Error
	require.ErrorAs(t, err, &e, "ConnectionLost(%v), want the panic as RuntimeError", err)
	require.Equal(t, KindRuntimeError, e.Kind, "ConnectionLost(%v), want the panic as RuntimeError", err)
	require.Len(t, tl.reportMessages(), 1, "reports")
	assert.Equal(t, "Fatal error: protocol.data_received() call failed.", tl.reportMessages()[0], "reports")
}
