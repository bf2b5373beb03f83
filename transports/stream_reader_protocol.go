package transports

import (
	"crypto/tls"

	"github.com/starnet-dev/starnet/loop"
)

// StreamReaderProtocol is asyncio.StreamReaderProtocol: it feeds a
// StreamReader and gives a StreamWriter its flow control. OnConnect, when
// set, is called from ConnectionMade with the pair (start_server's
// client_connected_cb).
type StreamReaderProtocol struct {
	l         *loop.Loop
	Reader    *StreamReader
	Writer    *StreamWriter
	OnConnect func(*StreamReader, *StreamWriter)

	overTLS bool
	paused  bool
	lost    bool
	lostErr error
	drains  []*loop.Future
	closed  *loop.Future
}

// NewStreamReaderProtocol returns a protocol with a reader of the given limit.
func NewStreamReaderProtocol(l *loop.Loop, limit int) *StreamReaderProtocol {
	return &StreamReaderProtocol{l: l, Reader: NewStreamReader(l, limit), closed: l.NewFuture()}
}

// ConnectionMade sets up the reader and the writer.
func (p *StreamReaderProtocol) ConnectionMade(t BaseTransport) {
	tr, _ := t.(Transport)
	p.Reader.SetTransport(tr)
	p.overTLS = t.GetExtraInfo("ssl_object") != nil
	p.Writer = &StreamWriter{t: tr, p: p, r: p.Reader, l: p.l}
	if p.OnConnect != nil {
		p.OnConnect(p.Reader, p.Writer)
	}
}

// ConnectionLost feeds EOF (or the error) to the reader and completes the
// waiting drains and wait_closed.
func (p *StreamReaderProtocol) ConnectionLost(err error) {
	if err == nil {
		p.Reader.FeedEOF()
	} else {
		p.Reader.SetException(err)
	}
	p.lost, p.lostErr = true, err
	p.wakeDrains()
	if err != nil {
		_ = p.closed.SetException(err)
		p.closed.Exception() // retrieved: wait_closed reports it, nobody else
	} else {
		_ = p.closed.SetResult(nil)
	}
}

// PauseWriting makes drain wait.
func (p *StreamReaderProtocol) PauseWriting() { p.paused = true }

// ResumeWriting completes the waiting drains.
func (p *StreamReaderProtocol) ResumeWriting() {
	p.paused = false
	p.wakeDrains()
}

func (p *StreamReaderProtocol) wakeDrains() {
	ds := p.drains
	p.drains = nil
	for _, d := range ds {
		if d.Done() {
			continue
		}
		if p.lostErr != nil {
			_ = d.SetException(p.lostErr)
		} else {
			_ = d.SetResult(nil)
		}
	}
}

// DataReceived feeds the reader.
func (p *StreamReaderProtocol) DataReceived(data []byte) { p.Reader.FeedData(data) }

// EOFReceived feeds EOF; the transport stays open for writing unless it
// runs TLS (as asyncio).
func (p *StreamReaderProtocol) EOFReceived() bool {
	p.Reader.FeedEOF()
	return !p.overTLS
}

// drainHelper returns a Future done when writing may go on.
func (p *StreamReaderProtocol) drainHelper(fut *loop.Future) {
	switch {
	case p.lost:
		_ = fut.SetException(NewError(KindConnectionResetError, "Connection lost"))
	case !p.paused:
		_ = fut.SetResult(nil)
	default:
		p.drains = append(p.drains, fut)
	}
}

// StreamWriter is asyncio.StreamWriter over a transport.
type StreamWriter struct {
	l *loop.Loop
	t Transport
	p *StreamReaderProtocol
	r *StreamReader
	// drained is the Future Drain returns while nothing is to be waited
	// for: done with nil, made once.
	drained *loop.Future
}

// Transport returns the transport.
func (w *StreamWriter) Transport() Transport { return w.t }

// Reader returns the reader of the same connection.
func (w *StreamWriter) Reader() *StreamReader { return w.r }

// Write writes data (see Transport.Write).
func (w *StreamWriter) Write(data []byte) error { return w.t.Write(data) }

// Writelines writes each buffer in turn.
func (w *StreamWriter) Writelines(data [][]byte) error { return w.t.Writelines(data) }

// WriteEOF closes the write end after the buffer is flushed.
func (w *StreamWriter) WriteEOF() error { return w.t.WriteEOF() }

// CanWriteEOF reports whether WriteEOF is supported.
func (w *StreamWriter) CanWriteEOF() bool { return w.t.CanWriteEOF() }

// Close closes the transport.
func (w *StreamWriter) Close() { w.t.Close() }

// IsClosing reports whether the transport is closing.
func (w *StreamWriter) IsClosing() bool { return w.t.IsClosing() }

// GetExtraInfo returns transport information.
func (w *StreamWriter) GetExtraInfo(name string) any { return w.t.GetExtraInfo(name) }

// WaitClosed returns a Future done when the connection is lost (failed
// with the connection's error, if any).
func (w *StreamWriter) WaitClosed() *loop.Future {
	out := w.l.NewFuture()
	w.p.closed.AddDoneCallback(func(f *loop.Future) {
		if err := f.Exception(); err != nil {
			_ = out.SetException(err)
		} else {
			_ = out.SetResult(nil)
		}
	})
	return out
}

// Drain returns a Future done when the write buffer is below the high-water
// mark. It fails with the reader's error, or ConnectionResetError once the
// connection is lost; while the transport closes it first yields one loop
// iteration (asyncio's sleep(0)) so that connection_lost can run.
//
// When writing may go on at once it returns the same done Future each
// time (a done Future cannot change), so the common drain allocates
// nothing.
func (w *StreamWriter) Drain() *loop.Future {
	if w.r.Exception() == nil && !w.t.IsClosing() && !w.p.lost && !w.p.paused {
		if w.drained == nil {
			w.drained = w.l.NewFuture()
			_ = w.drained.SetResult(nil)
		}
		return w.drained
	}
	fut := w.l.NewFuture()
	if err := w.r.Exception(); err != nil {
		_ = fut.SetException(err)
		return fut
	}
	if w.t.IsClosing() {
		w.l.CallSoon(func() { w.p.drainHelper(fut) })
		return fut
	}
	w.p.drainHelper(fut)
	return fut
}

// SetTransport switches the writer (and the reader's flow control) to t,
// after start_tls.
func (w *StreamWriter) SetTransport(t Transport) {
	w.t = t
	w.r.SetTransport(t)
	w.p.overTLS = t.GetExtraInfo("ssl_object") != nil
}

// ServerSide reports whether the connection was accepted by a server
// (the protocol has OnConnect, asyncio's client_connected_cb): StartTLS
// then makes this end the TLS server.
func (w *StreamWriter) ServerSide() bool { return w.p.OnConnect != nil }

// StartTLS upgrades the connection to TLS, as asyncio's
// StreamWriter.start_tls (CPython 3.14 with gh-142352): it waits for
// Drain, then calls StartTLS with the transport's protocol (the
// StreamReaderProtocol, or what wraps it) and, as opts.Pending, every byte
// the reader has buffered and not yet read. Those bytes are the start of
// the peer's TLS stream (a ClientHello that came in the same segment as
// the last plaintext line) and are taken out of the reader, which later
// gets the decrypted data. This end is the TLS server when ServerSide
// reports so (opts.ServerSide may also ask for it); opts.Pending is
// replaced. Once the handshake has completed the writer and the reader use
// the TLS transport (Transport returns it), and the Future completes with
// nil, as asyncio's returns None. It fails as Drain
// or StartTLS fail (a failed handshake loses the connection with the
// error); cancelling it cancels the step under way, closing the
// connection during the handshake.
func (w *StreamWriter) StartTLS(cfg *tls.Config, opts StartTLSOptions) *loop.Future {
	out := w.l.NewFuture()
	step := w.Drain()
	out.AddDoneCallback(func(f *loop.Future) {
		if f.Cancelled() && !step.Done() {
			step.Cancel()
		}
	})
	opts.ServerSide = opts.ServerSide || w.ServerSide()
	upgrade := func(d *loop.Future) {
		if out.Done() {
			return
		}
		if err := d.Exception(); err != nil {
			_ = out.SetException(err)
			return
		}
		opts.Pending = w.r.takeBuffer()
		p := w.t.GetProtocol()
		if p == nil {
			p = w.p
		}
		step = StartTLS(w.l, w.t, p, cfg, opts)
		step.AddDoneCallback(func(f *loop.Future) { w.upgraded(out, f) })
	}
	if step.Done() {
		upgrade(step)
	} else {
		step.AddDoneCallback(upgrade)
	}
	return out
}

// upgraded completes StartTLS's Future once the TLS layer's is done.
func (w *StreamWriter) upgraded(out, f *loop.Future) {
	if out.Done() {
		return
	}
	v, err := f.Result()
	if err != nil {
		_ = out.SetException(err)
		return
	}
	w.SetTransport(v.(Transport))
	_ = out.SetResult(nil)
}
