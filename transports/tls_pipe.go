package transports

import (
	"crypto/tls"
	"io"
	"net"
	"sync"
	"time"
)

// tlsPipe is the net.Conn a tls.Conn runs over: an in-memory connection fed
// with the ciphertext the plain transport receives, whose writes go back to
// the plain transport.
//
// crypto/tls offers only a blocking API, so the pipe has two modes:
//
//   - Handshake mode. tls.Conn.Handshake runs on a helper goroutine (the only
//     one the TLS layer ever starts, one per connection, ending with the
//     handshake). Read blocks on a condition variable until the loop feeds
//     ciphertext, the plain transport reaches EOF, or the layer closes the
//     pipe. Write queues the ciphertext and posts the layer's service
//     callback to the loop with CallSoonThreadsafe; the handshake's result is
//     posted the same way, coalesced with it.
//   - Loop mode, after the loop has seen the handshake's result: every
//     tls.Conn call is made on the loop's goroutine. Read never blocks: with
//     no ciphertext buffered it fails with errWouldBlock, a temporary
//     net.Error, which crypto/tls returns without poisoning the connection
//     (partial records stay in its own buffer), as it does for a read
//     deadline. Write hands the ciphertext straight to the plain transport.
//
// So an established TLS connection costs no goroutine, and after the
// handshake no lock is ever contended.
type tlsPipe struct {
	layer *tlsLayer

	mu   sync.Mutex
	cond sync.Cond // handshake mode: Read waits here

	// Inbound ciphertext, oldest first: in[inOff:] (a copy), then lent
	// (loop mode: the plain transport's buffer, valid during DataReceived).
	in    []byte
	inOff int
	lent  []byte

	eof         bool // the plain transport reached EOF
	closed      bool // the layer is done: Read and Write fail
	handshaking bool // handshake mode (see above)

	// Handshake mode: what waits for the loop's service callback.
	out       []byte // ciphertext for the plain transport
	hsDone    bool   // the handshake ended
	hsErr     error
	hsState   tls.ConnectionState
	posted    bool // the service callback is queued
	spareOut  []byte
	writeDead time.Time // tls.Conn's write deadline (set by CloseWrite)
}

var _ net.Conn = (*tlsPipe)(nil)

// Read-side flow control: the plain transport stops reading while this much
// ciphertext waits in the pipe, and resumes at the low mark (asyncio's
// FLOW_CONTROL_HIGH_WATER_SSL_READ).
const (
	tlsReadHighWater = 256 << 10
	tlsReadLowWater  = tlsReadHighWater / 4
)

// errWouldBlock is Read's error in loop mode when no ciphertext is buffered.
var errWouldBlock error = wouldBlockError{}

// errWriteShutdown is Write's error after the tls.Conn sent close_notify
// (it sets a write deadline in the past so that nothing follows the alert).
var errWriteShutdown error = writeShutdownError{}

type wouldBlockError struct{}

func (wouldBlockError) Error() string   { return "tls pipe: no ciphertext buffered" }
func (wouldBlockError) Timeout() bool   { return true }
func (wouldBlockError) Temporary() bool { return true }

type writeShutdownError struct{}

func (writeShutdownError) Error() string   { return "tls pipe: write after close_notify" }
func (writeShutdownError) Timeout() bool   { return true }
func (writeShutdownError) Temporary() bool { return true }

func (p *tlsPipe) init(layer *tlsLayer) {
	p.layer = layer
	p.cond.L = &p.mu
	p.handshaking = true
}

// ---- net.Conn, called by crypto/tls ----

// Read returns buffered ciphertext. In handshake mode it waits for some; in
// loop mode it fails with errWouldBlock instead.
func (p *tlsPipe) Read(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		if p.closed {
			return 0, net.ErrClosed
		}
		if n := p.readBuffered(b); n > 0 {
			return n, nil
		}
		if p.eof {
			return 0, io.EOF
		}
		if !p.handshaking {
			return 0, errWouldBlock
		}
		p.cond.Wait()
	}
}

// readBuffered copies from the stash, then from the lent slice.
func (p *tlsPipe) readBuffered(b []byte) int {
	if p.inOff < len(p.in) {
		n := copy(b, p.in[p.inOff:])
		p.inOff += n
		if p.inOff == len(p.in) {
			p.resetStash()
		}
		return n
	}
	n := copy(b, p.lent)
	p.lent = p.lent[n:]
	return n
}

// resetStash empties the stash, keeping its memory unless it grew large.
func (p *tlsPipe) resetStash() {
	if cap(p.in) > tlsReadLowWater {
		p.in = nil
	} else {
		p.in = p.in[:0]
	}
	p.inOff = 0
}

// Write sends ciphertext: queued for the loop in handshake mode, handed to
// the plain transport at once in loop mode.
func (p *tlsPipe) Write(b []byte) (int, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return 0, net.ErrClosed
	}
	if !p.writeDead.IsZero() && !time.Now().Before(p.writeDead) {
		p.mu.Unlock()
		return 0, errWriteShutdown
	}
	if p.handshaking {
		p.out = append(p.out, b...)
		p.postLocked()
		p.mu.Unlock()
		return len(b), nil
	}
	p.mu.Unlock()
	p.layer.writeCiphertext(b)
	return len(b), nil
}

// Close is not used by the layer (it never calls tls.Conn.Close); it closes
// the pipe.
func (p *tlsPipe) Close() error {
	p.close()
	return nil
}

// LocalAddr returns the plain transport's "sockname" when it is a net.Addr.
func (p *tlsPipe) LocalAddr() net.Addr { return p.layer.plainAddr("sockname") }

// RemoteAddr returns the plain transport's "peername" when it is a net.Addr.
func (p *tlsPipe) RemoteAddr() net.Addr { return p.layer.plainAddr("peername") }

// SetDeadline sets the write deadline; reads have none (the layer's
// handshake timer bounds the handshake).
func (p *tlsPipe) SetDeadline(t time.Time) error { return p.SetWriteDeadline(t) }

// SetReadDeadline is a no-op.
func (p *tlsPipe) SetReadDeadline(time.Time) error { return nil }

// SetWriteDeadline records the deadline; tls.Conn.CloseWrite sets one in
// the past after close_notify so that nothing is written after the alert.
func (p *tlsPipe) SetWriteDeadline(t time.Time) error {
	p.mu.Lock()
	p.writeDead = t
	p.mu.Unlock()
	return nil
}

// ---- the loop's side ----

// feed copies ciphertext into the stash and wakes a waiting Read.
func (p *tlsPipe) feed(data []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.in = append(p.in, data...)
	p.cond.Signal()
}

// lend makes data (valid until unlend) readable without copying it, unless
// older ciphertext is stashed, in which case data is copied behind it.
func (p *tlsPipe) lend(data []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	if p.inOff < len(p.in) {
		p.in = append(p.in, data...)
		return
	}
	p.lent = data
}

// unlend copies what crypto/tls did not read of the lent slice into the
// stash.
func (p *tlsPipe) unlend() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.lent) > 0 && !p.closed {
		p.in = append(p.in, p.lent...)
	}
	p.lent = nil
}

// buffered returns the number of ciphertext bytes waiting.
func (p *tlsPipe) buffered() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.in) - p.inOff + len(p.lent)
}

// feedEOF records the plain transport's EOF and wakes a waiting Read.
func (p *tlsPipe) feedEOF() {
	p.mu.Lock()
	p.eof = true
	p.cond.Signal()
	p.mu.Unlock()
}

// sawEOF reports whether the plain transport reached EOF.
func (p *tlsPipe) sawEOF() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.eof
}

// close ends the pipe: a blocked Read returns, the helper goroutine ends,
// and nothing is posted any more.
func (p *tlsPipe) close() {
	p.mu.Lock()
	p.closed = true
	p.in, p.inOff, p.lent, p.out, p.spareOut = nil, 0, nil, nil, nil
	p.cond.Broadcast()
	p.mu.Unlock()
}

// postLocked queues the layer's service callback once. mu must be held.
func (p *tlsPipe) postLocked() {
	if p.posted || p.closed {
		return
	}
	p.posted = true
	// An error means the loop is closed: nobody is left to serve.
	_ = p.layer.l.CallSoonThreadsafe(p.layer.service)
}

// handshakeFinished is the helper goroutine's last act: it posts the
// handshake's result (unless the layer is done).
func (p *tlsPipe) handshakeFinished(err error, state tls.ConnectionState) {
	p.mu.Lock()
	p.hsDone, p.hsErr, p.hsState = true, err, state
	p.postLocked()
	p.mu.Unlock()
}

// handshakeEvent is what the helper goroutine posted.
type handshakeEvent struct {
	done  bool
	err   error
	state tls.ConnectionState
}

// takeEvents returns what the helper goroutine posted: ciphertext to send
// (valid until the next takeEvents) and the handshake's result. Once the
// handshake's result is taken the pipe is in loop mode.
func (p *tlsPipe) takeEvents() (out []byte, hs handshakeEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.posted = false
	out = p.out
	p.out = p.spareOut[:0]
	p.spareOut = out
	if p.hsDone {
		hs = handshakeEvent{done: true, err: p.hsErr, state: p.hsState}
		p.hsDone, p.hsErr, p.hsState = false, nil, tls.ConnectionState{}
		p.handshaking = false
		p.spareOut = nil
	}
	return out, hs
}
