package transports

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// These tests pin what the stream, write pipe and datagram transports share
// through writeSide (writeside.go) and closeState (closing.go), and where
// they differ on purpose.

// expectIgnoredWriteReports fails the test unless the exception handler got
// exactly these messages, each without an exception (asyncio logs a
// warning) and with the transport and the protocol.
func expectIgnoredWriteReports(t *testing.T, tl *testLoop, want ...string) {
	t.Helper()
	got := tl.reportMessages()
	require.Equal(t, fmt.Sprint(want), fmt.Sprint(got), "reports = %q, want %q", got, want)
	for _, r := range tl.reports {
		assert.NoError(t, r.Err, "report %q", r.Message)
		assert.NotNil(t, r.Transport, "report %q: transport %v, protocol %v", r.Message, r.Transport, r.Protocol)
		assert.NotNil(t, r.Protocol, "report %q: transport %v, protocol %v", r.Message, r.Transport, r.Protocol)
	}
}

// A socket transport's repr follows asyncio's through open, buffering,
// closing and closed; writes while a Close still flushes join the buffer;
// writes after ConnectionLost is scheduled are dropped and counted (the
// loss is the first count), and each from the fifth count on is reported.
func TestSocketTransportReprAndIgnoredWrites(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	tl.SetDebug(true)
	rec := newRecorder(tl.Loop)
	var tr *socketTransport
	rec.onMade = func(r *recorder) {
		fd := tr.fd
		assert.Equal(t, fmt.Sprintf("<socket transport fd=%d read=polling write=<idle, bufsize=0>>", fd), tr.String(), "open")
		_ = r.tr.Write(make([]byte, 8<<20)) // the peer never reads
		n := r.tr.GetWriteBufferSize()
		require.NotEqual(t, 0, n, "nothing buffered")
		assert.Equal(t, fmt.Sprintf("<socket transport fd=%d read=polling write=<polling, bufsize=%d>>", fd, n), tr.String(), "buffering")
		r.tr.Close()
		assert.Equal(t, fmt.Sprintf("<socket transport closing fd=%d read=idle write=<polling, bufsize=%d>>", fd, n), tr.String(), "closing")
		for i := 0; i < 2*logThresholdForConnLostWrites; i++ {
			_ = r.tr.Write([]byte("x")) // closing, not lost: buffered
		}
		assert.Equal(t, n+2*logThresholdForConnLostWrites, r.tr.GetWriteBufferSize(), "writes while flushing join the buffer")
		r.tr.Abort()
		assert.Equal(t, fmt.Sprintf("<socket transport closing fd=%d read=idle write=<idle, bufsize=0>>", fd), tr.String(), "aborted")
		for i := 0; i < logThresholdForConnLostWrites+2; i++ {
			_ = r.tr.Write([]byte("x"))
		}
	}
	tr, _ = socketPair(t, tl, rec)
	require.Nil(t, tl.mustAwait(rec.lost), "ConnectionLost")
	assert.Equal(t, "<socket transport closed fd=-1 read=idle write=<idle, bufsize=0>>", tr.String(), "closed")
	expectIgnoredWriteReports(t, tl, "socket.send() raised exception.", "socket.send() raised exception.", "socket.send() raised exception.")
}

// A write pipe's repr follows asyncio's; writes (and non-empty Writelines)
// to a closing pipe are dropped and all count, from 0, and each from the
// sixth on is reported.
// ForceClose drops the buffer and delivers its error; a nil *Error counts
// as nil.
func TestWritePipeReprAndIgnoredWrites(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"error", NewError(KindScriptError, "boom")},
		{"nil *Error", (*Error)(nil)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tl := newTestLoop(t)
			tl.SetDebug(true)
			_, w := osPipe(t) // the reader never reads
			var rec *pipeRecorder
			var wt *writePipeTransport
			var fd int
			fut := ConnectWritePipe(tl.Loop, func() (BaseProtocol, error) {
				rec = newPipeRecorder(tl.Loop)
				rec.onMade = func(r *pipeRecorder) {
					wt = r.tr.(*writePipeTransport)
					fd = wt.end.fd
					assert.Equal(t, fmt.Sprintf("<write pipe transport fd=%d idle bufsize=0>", fd), wt.String(), "open")
					_ = wt.Write(make([]byte, 1<<20))
					n := wt.GetWriteBufferSize()
					require.NotEqual(t, 0, n, "nothing buffered")
					assert.Equal(t, fmt.Sprintf("<write pipe transport fd=%d polling bufsize=%d>", fd, n), wt.String(), "buffering")
					assert.Equal(t, 1, rec.pauses, "%d bytes buffered: %d pauses, want 1", n, rec.pauses)
					wt.Close() // flushing
					assert.Equal(t, fmt.Sprintf("<write pipe transport closing fd=%d polling bufsize=%d>", fd, n), wt.String(), "closing")
					_ = wt.Writelines(nil) // nothing: not counted
					for i := 0; i < logThresholdForConnLostWrites-1; i++ {
						_ = wt.Write([]byte("x"))
					}
					_ = wt.Writelines([][]byte{[]byte("x")})
					_ = wt.Write([]byte("x"))
					wt.ForceClose(tc.err)
					assert.Equal(t, 0, wt.GetWriteBufferSize(), "after ForceClose: %d buffered, closing %v", wt.GetWriteBufferSize(), wt.IsClosing())
					assert.True(t, wt.IsClosing(), "after ForceClose: %d buffered, closing %v", wt.GetWriteBufferSize(), wt.IsClosing())
				}
				return rec, nil
			}, w)
			tl.mustAwait(fut)
			err, _ := tl.mustAwait(rec.lost).(error)
			wantErr := tc.err
			if e, ok := wantErr.(*Error); ok && e == nil {
				wantErr = nil
			}
			assert.Equal(t, wantErr, err, "ConnectionLost(%v) ×%d, want (%v) once", err, rec.lostN, wantErr)
			assert.Equal(t, 1, rec.lostN, "ConnectionLost(%v) ×%d, want (%v) once", err, rec.lostN, wantErr)
			assert.Equal(t, fmt.Sprintf("<write pipe transport closed fd=%d idle bufsize=0>", fd), wt.String(), "closed")
			assert.Nil(t, wt.GetProtocol(), "protocol kept after ConnectionLost")
			expectIgnoredWriteReports(t, tl, "pipe closed by peer or os.write(pipe, data) raised exception.")
		})
	}
}

// A write pipe's SetWriteBufferLimits re-checks pausing at once against
// what is buffered.
func TestWritePipeSetLimitsPausesAtOnce(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	_, w := osPipe(t)
	var rec *pipeRecorder
	fut := ConnectWritePipe(tl.Loop, func() (BaseProtocol, error) {
		rec = newPipeRecorder(tl.Loop)
		rec.onMade = func(r *pipeRecorder) {
			wt := r.tr.(WriteTransport)
			require.NoError(t, wt.SetWriteBufferLimits(intp(1<<30), nil))
			_ = wt.Write(make([]byte, 1<<20))
			n := wt.GetWriteBufferSize()
			require.NotEqual(t, 0, n, "%d buffered, %d pauses", n, rec.pauses)
			require.Equal(t, 0, rec.pauses, "%d buffered, %d pauses", n, rec.pauses)
			err := wt.SetWriteBufferLimits(intp(n), nil)
			require.NoError(t, err, "high = buffered (%d): %v, %d pauses, want none", n, err, rec.pauses)
			assert.Equal(t, 0, rec.pauses, "high = buffered (%d): %v, %d pauses, want none", n, err, rec.pauses)
			err = wt.SetWriteBufferLimits(intp(n-1), nil)
			require.NoError(t, err, "high below buffered: %v, %d pauses, want 1", err, rec.pauses)
			assert.Equal(t, 1, rec.pauses, "high below buffered: %v, %d pauses, want 1", err, rec.pauses)
			low, high := wt.GetWriteBufferLimits()
			assert.Equal(t, (n-1)/4, low, "limits = (%d, %d)", low, high)
			assert.Equal(t, n-1, high, "limits = (%d, %d)", low, high)
			assert.Error(t, wt.SetWriteBufferLimits(intp(1), intp(2)), "high < low accepted")
			wt.Abort()
		}
		return rec, nil
	}, w)
	tl.mustAwait(fut)
	assert.Nil(t, tl.mustAwait(rec.lost), "ConnectionLost")
	tl.expectNoReports()
}

// A read pipe's repr follows asyncio's; its ForceClose takes a nil *Error
// as nil.
func TestReadPipeReprAndForceClose(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	r, _ := osPipe(t)
	var rec *pipeRecorder
	var rt *readPipeTransport
	var fd int
	fut := ConnectReadPipe(tl.Loop, func() (BaseProtocol, error) {
		rec = newPipeRecorder(tl.Loop)
		rec.onMade = func(p *pipeRecorder) {
			rt = p.tr.(*readPipeTransport)
			fd = rt.end.fd
			assert.Equal(t, fmt.Sprintf("<read pipe transport fd=%d polling>", fd), rt.String(), "open")
			rt.PauseReading()
			assert.Equal(t, fmt.Sprintf("<read pipe transport fd=%d idle>", fd), rt.String(), "paused")
			rt.ForceClose((*Error)(nil))
			assert.Equal(t, fmt.Sprintf("<read pipe transport closing fd=%d idle>", fd), rt.String(), "closing")
		}
		return rec, nil
	}, r)
	tl.mustAwait(fut)
	require.Nil(t, tl.mustAwait(rec.lost), "ConnectionLost")
	assert.Equal(t, 1, rec.lostN, "ConnectionLost ×%d, want once", rec.lostN)
	assert.Equal(t, fmt.Sprintf("<read pipe transport closed fd=%d idle>", fd), rt.String(), "closed")
	tl.expectNoReports()
}

// A datagram transport's repr follows asyncio's; sends to a lost endpoint
// without a remote address are dropped silently (asyncio counts only a
// connected endpoint's). ForceClose takes a nil *Error as nil.
func TestDatagramReprAndIgnoredSends(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	tl.SetDebug(true)
	var rec *dgramRecorder
	var dt *datagramTransport
	var fd int
	fut := CreateDatagramEndpoint(tl.Loop, func() (BaseProtocol, error) {
		rec = newDgramRecorder(tl.Loop)
		rec.onMade = func(r *dgramRecorder) {
			dt = r.tr.(*datagramTransport)
			fd = dt.sock.Fileno()
			assert.Equal(t, fmt.Sprintf("<datagram transport fd=%d write=<idle, bufsize=0>>", fd), dt.String(), "open")
			low, high := dt.GetWriteBufferLimits()
			assert.Equal(t, DefaultLowWater, low, "limits = (%d, %d)", low, high)
			assert.Equal(t, DefaultHighWater, high, "limits = (%d, %d)", low, high)
			dt.Close()
			assert.Equal(t, fmt.Sprintf("<datagram transport closing fd=%d write=<idle, bufsize=0>>", fd), dt.String(), "closing")
			for i := 0; i < logThresholdForConnLostWrites+2; i++ {
				_ = dt.SendTo([]byte("x"), dt.sockname)
			}
			dt.ForceClose((*Error)(nil)) // ConnectionLost is already scheduled: a no-op
		}
		return rec, nil
	}, DatagramOptions{LocalAddr: "127.0.0.1:0"})
	tl.mustAwait(fut)
	require.Nil(t, tl.mustAwait(rec.lost), "ConnectionLost")
	assert.Equal(t, 1, rec.lostN, "ConnectionLost ×%d, want once", rec.lostN)
	assert.Equal(t, "<datagram transport closed fd=-1 write=<idle, bufsize=0>>", dt.String(), "closed")
	expectIgnoredWriteReports(t, tl) // an endpoint without a remote address drops them silently, as asyncio's
}

// writeSideOwner is a transport as the write side sees it, and nothing
// more: any call to close it would panic (the nil BaseTransport).
type writeSideOwner struct{ BaseTransport }

func (writeSideOwner) GetWriteBufferSize() int { return 0 }
func (writeSideOwner) writeReady()             {}

// Closing goes one way: the write side reports a fatal error (to the
// exception handler, and as its result) and never closes; the closing
// state is left to the transport.
func TestWriteSideReportsFailuresWithoutClosing(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	tl.SetDebug(true) // an OSError is reported in debug mode only
	var w byteWriteSide
	w.init(writeSideOwner{}, tl.Loop, -1)

	failed := w.unsent([]byte("data"), 0, unix.EPIPE, "Fatal write error on socket transport")
	var e *Error
	require.ErrorAs(t, failed, &e)
	assert.Equal(t, KindBrokenPipeError, e.Kind)
	assert.False(t, w.closing || w.lost, "the write side does not close")

	w.pending().append([]byte("buffered"))
	res, failed := w.flush(sockWrite, "Fatal write error on socket transport") // fd -1: EBADF
	assert.Equal(t, flushFailed, res)
	require.ErrorAs(t, failed, &e)
	assert.Equal(t, KindOSError, e.Kind)
	assert.Zero(t, w.GetWriteBufferSize(), "the buffer is dropped")
	assert.False(t, w.closing || w.lost, "the write side does not close")

	assert.Equal(t, []string{"Fatal write error on socket transport", "Fatal write error on socket transport"}, tl.reportMessages())
}
