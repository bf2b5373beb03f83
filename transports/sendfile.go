package transports

import (
	"fmt"
	"os"

	"github.com/starnet-dev/starnet/loop"
	"golang.org/x/sys/unix"
)

// sendfile is Sendfile.
func sendfile(l *loop.Loop, t WriteTransport, f *os.File, offset, count int64) *loop.Future {
	fut := l.NewFuture()
	if e := checkSendfileArgs(t, f, offset); e != nil {
		_ = fut.SetException(e)
		return fut
	}
	job, e := newSendfileJob(l, f, offset, count)
	if e != nil {
		_ = fut.SetException(e)
		return fut
	}
	job.fut = fut
	if st, ok := t.(*socketTransport); ok {
		if e := st.startSendfile(job); e != nil {
			job.close()
			_ = fut.SetException(e)
		}
		return fut
	}
	startSendfileFallback(l, t, job)
	return fut
}

func checkSendfileArgs(t WriteTransport, f *os.File, offset int64) error {
	switch {
	case t == nil:
		return NewError(KindTypeError, "sendfile: transport must not be nil")
	case f == nil:
		return NewError(KindTypeError, "sendfile: file must not be nil")
	case offset < 0:
		return NewError(KindValueError, fmt.Sprintf("offset must be a non-negative integer (got %d)", offset))
	case t.IsClosing():
		return NewError(KindRuntimeError, "Transport is closing")
	}
	return nil
}

// Sizes of the chunks a sendfile moves per system call.
const (
	sendfileNativeChunk = 1 << 30  // one sendfile(2)
	sendfileCopyChunk   = 64 << 10 // one read and write when copying
	// sendfileStepsPerEvent bounds the system calls one readiness event
	// makes, so a fast peer cannot keep other callbacks waiting.
	sendfileStepsPerEvent = 16
)

// sendfileJob reads a file from an offset for a given count (or to its end)
// on a duplicate of its descriptor, which shares the file's position: when
// the job ends, the position is set after the last byte sent, as asyncio
// does. A file that is not a regular one (a pipe, a socket, a device) is
// read from its current position, non-blocking: when it has nothing yet the
// job waits for it to be readable.
type sendfileJob struct {
	l         *loop.Loop
	fut       *loop.Future
	src       int   // the duplicate, closed by close
	regular   bool  // src can be read with pread and moved with lseek
	start     int64 // the offset asked for
	offset    int64 // the next byte to read (regular files)
	remaining int64 // bytes still to send; negative: to EOF
	sent      int64
	native    bool   // sendfile(2) is still worth trying
	scratch   []byte // copy mode: the chunk buffer
	pending   []byte // copy mode: read but not yet written
	watching  bool   // a reader waits for src to be readable

	resumeReading bool // reading was on when the job started
}

// stepResult is what one step of a sendfile job did.
type stepResult int

const (
	stepMoved      stepResult = iota // some progress: step again
	stepDstBlocked                   // the destination refused: wait until writable
	stepSrcBlocked                   // the source has nothing yet: wait until readable
	stepDone                         // the count is sent or the file ended
)

// newSendfileJob duplicates f's descriptor and checks the offset.
func newSendfileJob(l *loop.Loop, f *os.File, offset, count int64) (*sendfileJob, error) {
	fd, e := fileDescriptor(f)
	if e != nil {
		return nil, e
	}
	src, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, MapError(fmt.Errorf("sendfile: dup %s: %w", f.Name(), err))
	}
	var st unix.Stat_t
	if err := unix.Fstat(src, &st); err != nil {
		closeFD(src)
		return nil, MapError(err)
	}
	j := &sendfileJob{l: l, src: src, start: offset, offset: offset, remaining: count, native: true}
	j.regular = uint32(st.Mode)&unix.S_IFMT == unix.S_IFREG
	if count <= 0 {
		j.remaining = -1
	}
	if !j.regular {
		j.native = false
		if offset != 0 {
			closeFD(src)
			return nil, NewError(KindValueError, "sendfile: offset must be 0 for a file that cannot seek")
		}
		if err := unix.SetNonblock(src, true); err != nil {
			closeFD(src)
			return nil, MapError(err)
		}
	}
	return j, nil
}

// close ends the job: the file's position is moved after what was sent and
// the duplicate is closed.
func (j *sendfileJob) close() {
	if j.src < 0 {
		return
	}
	j.unwatch()
	if j.regular {
		_, _ = unix.Seek(j.src, j.start+j.sent, 0)
	}
	closeFD(j.src)
	j.src = -1
	j.scratch, j.pending = nil, nil
}

// watch calls ready once the source is readable.
func (j *sendfileJob) watch(ready func()) error {
	if err := j.l.AddReader(j.src, func() {
		j.unwatch()
		ready()
	}); err != nil {
		return err
	}
	j.watching = true
	return nil
}

func (j *sendfileJob) unwatch() {
	if j.watching {
		j.watching = false
		j.l.RemoveReader(j.src)
	}
}

// chunkSize returns how much to move next, at most max.
func (j *sendfileJob) chunkSize(max int) int {
	if j.remaining >= 0 && j.remaining < int64(max) {
		return int(j.remaining)
	}
	return max
}

// account records n bytes sent.
func (j *sendfileJob) account(n int) {
	j.sent += int64(n)
	if j.remaining > 0 {
		j.remaining -= int64(n)
	}
}

// readChunk reads the next chunk into the job's scratch buffer: stepDone at
// the file's end (or once the count is reached), stepSrcBlocked when a
// non-blocking source has nothing yet.
func (j *sendfileJob) readChunk() ([]byte, stepResult, error) {
	if j.remaining == 0 {
		return nil, stepDone, nil
	}
	if j.scratch == nil {
		j.scratch = make([]byte, sendfileCopyChunk)
	}
	size := j.chunkSize(len(j.scratch))
	for {
		var n int
		var err error
		if j.regular {
			n, err = unix.Pread(j.src, j.scratch[:size], j.offset)
		} else {
			n, err = unix.Read(j.src, j.scratch[:size])
		}
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			return nil, stepSrcBlocked, nil
		case err != nil:
			return nil, stepMoved, err
		case n == 0:
			return nil, stepDone, nil
		}
		j.offset += int64(n)
		return j.scratch[:n], stepMoved, nil
	}
}

// step moves the next chunk to dst, a non-blocking descriptor: with
// sendfile(2) while the kernel supports it for this pair, else by reading
// and writing.
func (j *sendfileJob) step(dst int) (stepResult, error) {
	if j.remaining == 0 {
		return stepDone, nil
	}
	if j.native {
		return j.stepNative(dst)
	}
	if len(j.pending) == 0 {
		chunk, res, err := j.readChunk()
		if err != nil || res != stepMoved {
			return res, err
		}
		j.pending = chunk
	}
	n, err := unix.Write(dst, j.pending)
	if err == unix.EAGAIN || err == unix.EINTR {
		return stepDstBlocked, nil
	}
	if err != nil {
		return stepMoved, err
	}
	j.pending = j.pending[n:]
	j.account(n)
	return stepMoved, nil
}

// stepNative makes one sendfile(2) call. Before anything is sent, an error
// that says sendfile cannot work for these descriptors switches the job to
// copying, as asyncio falls back.
func (j *sendfileJob) stepNative(dst int) (stepResult, error) {
	n, err := sysSendfile(dst, j.src, &j.offset, j.chunkSize(sendfileNativeChunk))
	if n > 0 {
		j.account(n)
	}
	switch {
	case err == unix.EAGAIN || err == unix.EINTR:
		if n > 0 {
			return stepMoved, nil
		}
		return stepDstBlocked, nil
	case err != nil && j.sent == 0 && sendfileUnavailable(err):
		j.native = false
		return stepMoved, nil
	case err != nil:
		return stepMoved, err
	case n == 0:
		return stepDone, nil // the file's end
	}
	return stepMoved, nil
}

// sendfileUnavailable reports whether err means that sendfile(2) cannot copy
// between these descriptors (rather than that the connection failed).
func sendfileUnavailable(err error) bool {
	switch err {
	case unix.EINVAL, unix.ENOSYS, unix.EOPNOTSUPP, unix.ENOTSOCK, unix.EXDEV:
		return true
	}
	return false
}

// ---- the socket transport's sendfile ----

// errSendfileInProgress is Write's error while a sendfile runs (asyncio's).
func errSendfileInProgress(what string) error {
	return NewError(KindRuntimeError, "unable to "+what+"; sendfile is in progress")
}

// startSendfile attaches job to the transport, as asyncio's
// _sendfile_native: reading pauses, Write and Writelines fail until the job
// ends, the write buffer is flushed first, and then the file is sent as the
// socket becomes writable. Close and WriteEOF wait for the job, as they wait
// for the buffer; Abort and errors fail it.
func (t *socketTransport) startSendfile(job *sendfileJob) error {
	switch {
	case t.closing:
		return NewError(KindRuntimeError, "Transport is closing")
	case t.writeEOF:
		return NewError(KindRuntimeError, "Cannot call sendfile() after write_eof()")
	case t.sendfile != nil:
		return NewError(KindRuntimeError, "sendfile is already in progress")
	}
	if err := t.startWriting(); err != nil {
		return MapError(err)
	}
	t.sendfile = job
	job.resumeReading = t.IsReading()
	t.PauseReading()
	job.fut.AddDoneCallback(func(f *loop.Future) {
		if f.Cancelled() && t.sendfile == job {
			t.endSendfile(nil)
			t.afterSendfile()
		}
	})
	return nil
}

// sendfileReady runs the job when the buffer is empty and the socket
// writable. A source with nothing to read yet (a pipe) is waited for with
// the socket's writer off.
func (t *socketTransport) sendfileReady() {
	job := t.sendfile
	for i := 0; i < sendfileStepsPerEvent; i++ {
		res, err := job.step(t.fd)
		if err != nil {
			t.fatalError(err, "Fatal write error on socket transport")
			return
		}
		switch res {
		case stepDstBlocked:
			return
		case stepSrcBlocked:
			t.stopWriting()
			if err := job.watch(t.sourceReadable); err != nil {
				t.fatalError(err, "Fatal error on socket transport")
			}
			return
		case stepDone:
			t.endSendfile(nil)
			t.afterSendfile()
			return
		}
	}
}

// sourceReadable resumes a job that waited for its source.
func (t *socketTransport) sourceReadable() {
	if t.sendfile == nil || t.lost {
		return
	}
	if err := t.startWriting(); err != nil {
		t.fatalError(err, "Fatal write error on socket transport")
	}
}

// afterSendfile goes on from where the sendfile held the transport: a
// Close or WriteEOF that waited for it completes now.
func (t *socketTransport) afterSendfile() {
	if t.lost || t.buf.len() > 0 {
		return
	}
	t.flushedAll()
}

// endSendfile detaches the job and completes its Future: with the byte
// count, or err if not nil. Reading resumes if it was on.
func (t *socketTransport) endSendfile(err error) {
	job := t.sendfile
	if job == nil {
		return
	}
	t.sendfile = nil
	job.close()
	if job.resumeReading && !t.closing {
		t.ResumeReading()
	}
	if job.fut.Done() {
		return
	}
	if err != nil {
		_ = job.fut.SetException(err)
		return
	}
	_ = job.fut.SetResult(job.sent)
}

// abortSendfile fails a running job because the transport is closing at
// once.
func (t *socketTransport) abortSendfile(err error) {
	if t.sendfile == nil {
		return
	}
	if err == nil {
		err = NewError(KindConnectionError, "Connection is closed by peer")
	}
	t.endSendfile(err)
}

// ---- the fallback for other transports ----

// sendfileFallback sends a file through any WriteTransport with Write, as
// asyncio's _sendfile_fallback: reading pauses, the transport's protocol is
// replaced by one that intercepts flow control, and chunks are written while
// the transport is not paused; then everything is restored.
type sendfileFallback struct {
	l         *loop.Loop
	t         WriteTransport
	job       *sendfileJob
	orig      BaseProtocol
	reading   ReadTransport // t, if it was reading
	origPause bool          // what orig last heard: paused
	paused    bool          // the transport's state: paused
	scheduled bool
	ended     bool
	onStep    func()
}

// sendfileShim is the protocol the fallback puts on the transport.
type sendfileShim struct{ fb *sendfileFallback }

func startSendfileFallback(l *loop.Loop, t WriteTransport, job *sendfileJob) {
	fb := &sendfileFallback{l: l, t: t, job: job, orig: t.GetProtocol()}
	fb.onStep = fb.step
	fb.origPause = writingPaused(t)
	fb.paused = fb.origPause
	if rt, ok := t.(ReadTransport); ok && rt.IsReading() {
		fb.reading = rt
		rt.PauseReading()
	}
	t.SetProtocol(&sendfileShim{fb: fb})
	job.fut.AddDoneCallback(func(f *loop.Future) {
		if f.Cancelled() {
			fb.end(nil)
		}
	})
	fb.schedule()
}

// writingPaused reports whether t has paused its protocol's writing.
func writingPaused(t WriteTransport) bool {
	switch t := t.(type) {
	case *socketTransport:
		return t.flow.paused
	case *writePipeTransport:
		return t.flow.paused
	}
	_, high := t.GetWriteBufferLimits()
	return t.GetWriteBufferSize() > high
}

func (fb *sendfileFallback) schedule() {
	if !fb.scheduled && !fb.ended {
		fb.scheduled = true
		fb.l.CallSoon(fb.onStep)
	}
}

// step writes chunks until the transport pauses, then waits for
// ResumeWriting; otherwise it goes on next iteration.
func (fb *sendfileFallback) step() {
	fb.scheduled = false
	if fb.ended {
		return
	}
	for i := 0; i < sendfileStepsPerEvent && !fb.paused; i++ {
		if fb.t.IsClosing() {
			fb.end(NewError(KindConnectionError, "Connection closed by peer"))
			return
		}
		chunk, res, err := fb.job.readChunk()
		switch {
		case err != nil:
			fb.end(MapError(err))
			return
		case res == stepDone:
			fb.end(nil)
			return
		case res == stepSrcBlocked:
			if err := fb.job.watch(fb.schedule); err != nil {
				fb.end(MapError(err))
			}
			return
		}
		if err := fb.t.Write(chunk); err != nil {
			fb.end(MapError(err))
			return
		}
		fb.job.account(len(chunk))
	}
	if !fb.paused {
		fb.schedule()
	}
}

// end restores the transport and completes the Future.
func (fb *sendfileFallback) end(err error) {
	if fb.ended {
		return
	}
	fb.ended = true
	job := fb.job
	job.close()
	if isShimOf(fb.t.GetProtocol(), fb) {
		fb.t.SetProtocol(fb.orig)
	}
	if fb.reading != nil && !fb.t.IsClosing() {
		fb.reading.ResumeReading()
	}
	if fb.orig != nil && fb.origPause != fb.paused && !fb.t.IsClosing() {
		if fb.paused {
			callFlowCallback(fb.l, fb.t, fb.orig, callbackPauseWriting, fb.orig.PauseWriting)
		} else {
			callFlowCallback(fb.l, fb.t, fb.orig, callbackResumeWriting, fb.orig.ResumeWriting)
		}
	}
	if job.fut.Done() {
		return
	}
	if err != nil {
		_ = job.fut.SetException(err)
		return
	}
	_ = job.fut.SetResult(job.sent)
}

func isShimOf(p BaseProtocol, fb *sendfileFallback) bool {
	s, ok := p.(*sendfileShim)
	return ok && s.fb == fb
}

// ConnectionMade is not expected: the connection exists already.
func (s *sendfileShim) ConnectionMade(BaseTransport) {}

// ConnectionLost fails the sendfile and passes the loss on.
func (s *sendfileShim) ConnectionLost(err error) {
	fb := s.fb
	if err == nil {
		fb.end(NewError(KindConnectionError, "Connection is closed by peer"))
	} else {
		fb.end(err)
	}
	if fb.orig != nil {
		fb.orig.ConnectionLost(err)
	}
}

// PauseWriting stops the sendfile's writes.
func (s *sendfileShim) PauseWriting() { s.fb.paused = true }

// ResumeWriting lets them go on.
func (s *sendfileShim) ResumeWriting() {
	s.fb.paused = false
	s.fb.schedule()
}

// DataReceived passes data on (reading is paused, so only a transport that
// ignores pausing delivers any).
func (s *sendfileShim) DataReceived(data []byte) {
	if p, ok := s.fb.orig.(Protocol); ok {
		p.DataReceived(data)
	}
}

// EOFReceived passes the EOF on.
func (s *sendfileShim) EOFReceived() bool {
	if p, ok := s.fb.orig.(Protocol); ok {
		return p.EOFReceived()
	}
	return false
}
