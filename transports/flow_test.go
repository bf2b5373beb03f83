package transports

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func intp(v int) *int { return &v }

// Write buffer limits follow asyncio's defaults and derivations (low =
// high/4, high = 4*low) and reject inconsistent values with its ValueError.
func TestWriteBufferLimitRules(t *testing.T) {
	t.Parallel()
	cases := []struct {
		high, low         *int
		wantLow, wantHigh int
		wantErr           string
	}{
		{nil, nil, 16 << 10, 64 << 10, ""},
		{intp(100), nil, 25, 100, ""},
		{nil, intp(10), 10, 40, ""},
		{intp(0), nil, 0, 0, ""},
		{intp(7), intp(7), 7, 7, ""},
		{intp(10), intp(20), 0, 0, "ValueError: high (10) must be >= low (20) must be >= 0"},
		{intp(-1), nil, 0, 0, "ValueError: high (-1) must be >= low (-1) must be >= 0"},
		{nil, intp(-4), 0, 0, "ValueError: high (-16) must be >= low (-4) must be >= 0"},
		{intp(10), intp(-1), 0, 0, "ValueError: high (10) must be >= low (-1) must be >= 0"},
	}
	for _, tc := range cases {
		var f writeFlow
		f.init()
		err := f.setLimits(tc.high, tc.low)
		if tc.wantErr != "" {
			var e *Error
			require.ErrorAs(t, err, &e, "setLimits(%v, %v) = %v, want %s", tc.high, tc.low, err, tc.wantErr)
			assert.Equal(t, KindValueError, e.Kind, "setLimits(%v, %v) = %v, want %s", tc.high, tc.low, err, tc.wantErr)
			assert.Equal(t, tc.wantErr, err.Error(), "setLimits(%v, %v) = %v, want %s", tc.high, tc.low, err, tc.wantErr)
			low, high := f.limits()
			assert.Equal(t, DefaultLowWater, low, "failed setLimits changed the limits to (%d, %d)", low, high)
			assert.Equal(t, DefaultHighWater, high, "failed setLimits changed the limits to (%d, %d)", low, high)
			continue
		}
		assert.NoError(t, err, "setLimits")
		low, high := f.limits()
		assert.Equal(t, tc.wantLow, low, "limits = (%d, %d), want (%d, %d)", low, high, tc.wantLow, tc.wantHigh)
		assert.Equal(t, tc.wantHigh, high, "limits = (%d, %d), want (%d, %d)", low, high, tc.wantLow, tc.wantHigh)
	}
}

// fillKernel writes payload with flow control out of the way and returns
// how much the transport buffered (the kernel refused).
func fillKernel(t *testing.T, tr Transport, payload []byte) int {
	t.Helper()
	require.NoError(t, tr.SetWriteBufferLimits(intp(1<<40), nil))
	_ = tr.Write(payload)
	b := tr.GetWriteBufferSize()
	require.NotEqual(t, 0, b, "the kernel took all %d bytes: cannot test flow control", len(payload))
	return b
}

// PauseWriting fires exactly when the buffer goes strictly over high, once;
// SetWriteBufferLimits re-checks pausing only (as asyncio); ResumeWriting
// fires once the buffer drains to low or below.
func TestFlowControlThresholds(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	payload := randomBytes(32<<20, 3)
	var peer *peerProc
	var rec *recorder
	var b0, low, resumeSize int
	total := len(payload)
	_, port := tl.serve(func() (BaseProtocol, error) {
		rec = newRecorder(tl.Loop)
		rec.onMade = func(r *recorder) {
			tr := r.tr
			b0 = fillKernel(t, tr, payload)
			t.Logf("kernel took %d", len(payload)-b0)
			high := b0 + 100
			low = b0 + 10
			require.NoError(t, tr.SetWriteBufferLimits(&high, &low))
			gl, gh := tr.GetWriteBufferLimits()
			assert.Equal(t, low, gl, "GetWriteBufferLimits = (%d, %d)", gl, gh)
			assert.Equal(t, high, gh, "GetWriteBufferLimits = (%d, %d)", gl, gh)
			write := func(n int) {
				_ = tr.Write(make([]byte, n))
				total += n
			}
			write(100) // size == high: not strictly over
			assert.Equal(t, 0, r.pauses, "at size %d == high: %d pauses", tr.GetWriteBufferSize(), r.pauses)
			assert.Equal(t, high, tr.GetWriteBufferSize(), "at size %d == high: %d pauses", tr.GetWriteBufferSize(), r.pauses)
			write(1) // high + 1
			assert.Equal(t, 1, r.pauses, "at size %d > high %d: %d pauses, want 1", tr.GetWriteBufferSize(), high, r.pauses)
			write(1)
			// Raising the limits above the buffer does not resume (asyncio
			// only re-checks pausing here); the drain will.
			low = b0 + 500
			require.NoError(t, tr.SetWriteBufferLimits(intp(b0+1000), &low))
			assert.Equal(t, 1, r.pauses, "after raising limits: %d pauses, %d resumes", r.pauses, r.resumes)
			assert.Equal(t, 0, r.resumes, "after raising limits: %d pauses, %d resumes", r.pauses, r.resumes)
			peer.Send("go")
		}
		rec.onResume = func(r *recorder) {
			resumeSize = r.tr.GetWriteBufferSize()
			r.tr.Close()
		}
		return rec, nil
	}, ListenOptions{})
	peer = startPython(tl, pyBulkReader, strconv.Itoa(port), "wait")
	peer.ReadLine()
	out := tl.mustAwait(peer.Output(tl)).(string)
	tl.mustAwait(rec.lost)
	assert.Equal(t, 1, rec.pauses, "%d pauses, %d resumes; want 1 and 1", rec.pauses, rec.resumes)
	assert.Equal(t, 1, rec.resumes, "%d pauses, %d resumes; want 1 and 1", rec.pauses, rec.resumes)
	assert.LessOrEqual(t, resumeSize, low, "resumed at size %d > low %d", resumeSize, low)
	require.Len(t, strings.Fields(out), 3, "peer got %q, want %d bytes then EOF", out, total)
	require.Equal(t, strconv.Itoa(total), strings.Fields(out)[0], "peer got %q, want %d bytes then EOF", out, total)
	assert.Equal(t, "eof", strings.Fields(out)[2], "peer got %q, want %d bytes then EOF", out, total)
	tl.expectNoReports()
}

// With high=0 any buffered byte pauses, and writing resumes only when the
// buffer is empty. Lowering the limits below the buffer pauses at once.
func TestFlowControlHighZero(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	payload := randomBytes(32<<20, 4)
	var peer *peerProc
	var rec *recorder
	resumeSize := -1
	_, port := tl.serve(func() (BaseProtocol, error) {
		rec = newRecorder(tl.Loop)
		rec.onMade = func(r *recorder) {
			b0 := fillKernel(t, r.tr, payload)
			require.Equal(t, 0, r.pauses, "paused with huge limits")
			require.NoError(t, r.tr.SetWriteBufferLimits(intp(b0-1), nil))
			assert.Equal(t, 1, r.pauses, "SetWriteBufferLimits below the buffer: %d pauses, want 1", r.pauses)
			require.NoError(t, r.tr.SetWriteBufferLimits(intp(0), nil))
			low, high := r.tr.GetWriteBufferLimits()
			assert.Equal(t, 0, low, "limits (%d, %d)", low, high)
			assert.Equal(t, 0, high, "limits (%d, %d)", low, high)
			peer.Send("go")
		}
		rec.onResume = func(r *recorder) {
			resumeSize = r.tr.GetWriteBufferSize()
			r.tr.Close()
		}
		return rec, nil
	}, ListenOptions{})
	peer = startPython(tl, pyBulkReader, strconv.Itoa(port), "wait")
	peer.ReadLine()
	out := tl.mustAwait(peer.Output(tl)).(string)
	tl.mustAwait(rec.lost)
	assert.Equal(t, 1, rec.pauses, "%d pauses, %d resumes, resumed at %d; want 1, 1, 0", rec.pauses, rec.resumes, resumeSize)
	assert.Equal(t, 1, rec.resumes, "%d pauses, %d resumes, resumed at %d; want 1, 1, 0", rec.pauses, rec.resumes, resumeSize)
	assert.Equal(t, 0, resumeSize, "%d pauses, %d resumes, resumed at %d; want 1, 1, 0", rec.pauses, rec.resumes, resumeSize)
	assert.Equal(t, fmt.Sprintf("%d %s eof", len(payload), sha(payload)), strings.TrimSpace(out), "peer got %q", out)
	tl.expectNoReports()
}

// A panic in PauseWriting or ResumeWriting is reported, and the transport
// carries on (asyncio catches and reports these exceptions).
func TestFlowControlCallbackPanicsAreReported(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	rec := newRecorder(tl.Loop)
	rec.onPause = func(*recorder) { panic("pause bug") }
	rec.onResume = func(*recorder) { panic("resume bug") }
	var peer int
	var tr *socketTransport
	var drained int
	var readPeer func()
	readPeer = func() {
		buf := make([]byte, 1<<20)
		for {
			n, err := unix.Read(peer, buf)
			if err != nil {
				break
			}
			drained += n
		}
		if tr.GetWriteBufferSize() > 0 {
			tl.CallSoon(readPeer)
			return
		}
		tr.Close()
	}
	rec.onMade = func(r *recorder) {
		fillKernel(t, r.tr, make([]byte, 8<<20))
		_ = r.tr.SetWriteBufferLimits(intp(0), nil)
		assert.Equal(t, 1, r.pauses, "%d pauses", r.pauses)
		tl.CallSoon(readPeer)
	}
	tr, peer = socketPair(t, tl, rec)
	unix.SetNonblock(peer, true)
	tl.mustAwait(rec.lost)
	msgs := tl.reportMessages()
	require.Len(t, msgs, 2, "reports %q", msgs)
	require.Equal(t, "protocol.pause_writing() failed", msgs[0], "reports %q", msgs)
	assert.Equal(t, "protocol.resume_writing() failed", msgs[1], "reports %q", msgs)
	if len(tl.reports) == 2 {
		require.NotNil(t, tl.reports[0].Extra["traceback"], "no traceback in the report of a panic")
		var e *Error
		require.ErrorAs(t, tl.reports[0].Err, &e, "report error %v", tl.reports[0].Err)
		assert.Equal(t, KindRuntimeError, e.Kind, "report error %v", tl.reports[0].Err)
		assert.Contains(t, e.Message, "pause bug", "report error %v", tl.reports[0].Err)
	}
	assert.NoError(t, rec.lostErr, "lost(%v), %d resumes", rec.lostErr, rec.resumes)
	assert.Equal(t, 1, rec.resumes, "lost(%v), %d resumes", rec.lostErr, rec.resumes)
	// Drain what the kernel still holds for the peer: everything arrived.
	buf := make([]byte, 1<<20)
	for {
		n, err := unix.Read(peer, buf)
		if n <= 0 || err != nil {
			break
		}
		drained += n
	}
	assert.Equal(t, 8<<20, drained, "peer read %d bytes, want %d", drained, 8<<20)
}

// flowCalls records a protocol's PauseWriting and ResumeWriting calls.
type flowCalls struct {
	BaseProtocol
	calls []string
}

func (p *flowCalls) PauseWriting()  { p.calls = append(p.calls, "pause") }
func (p *flowCalls) ResumeWriting() { p.calls = append(p.calls, "resume") }

// A TLS transport's flow control is asyncio's SSLProtocol's: 512 KiB and
// 128 KiB by default (also when set_write_buffer_limits() gets neither),
// pause when the buffer reaches the high-water mark, resume at the low-water
// mark or below, and with both marks 0, successive checks of an empty
// buffer pause and resume in turn.
func TestTLSWriteFlowControl(t *testing.T) {
	t.Parallel()
	var f tlsWriteFlow
	f.init()
	low, high := f.limits()
	assert.Equal(t, 128<<10, low, "default limits (%d, %d), want (131072, 524288)", low, high)
	assert.Equal(t, 512<<10, high, "default limits (%d, %d), want (131072, 524288)", low, high)
	require.NoError(t, f.setLimits(intp(100), nil))
	require.NoError(t, f.setLimits(nil, nil))
	low, high = f.limits()
	assert.Equal(t, DefaultTLSLowWater, low, "set_write_buffer_limits() gave (%d, %d), want the TLS defaults", low, high)
	assert.Equal(t, DefaultTLSHighWater, high, "set_write_buffer_limits() gave (%d, %d), want the TLS defaults", low, high)

	tl := newTestLoop(t)
	p := &flowCalls{}
	check := func(size int, want string) {
		t.Helper()
		p.calls = nil
		f.control(tl.Loop, size, nil, p)
		assert.Equal(t, want, strings.Join(p.calls, ","), "control")
	}
	require.NoError(t, f.setLimits(intp(100), intp(20)))
	check(99, "")
	check(100, "pause") // reaching the mark pauses (other transports: going over it)
	check(150, "")
	check(21, "")
	check(20, "resume")
	check(20, "")

	require.NoError(t, f.setLimits(intp(0), nil))
	check(0, "pause")
	check(0, "resume")
	check(0, "pause")
}
