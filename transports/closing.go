package transports

import "github.com/starnet-dev/starnet/loop"

// Closing. A transport owns its close: its Close, Abort, ForceClose and
// fatalError decide when it closes, and it ends in exactly one
// ConnectionLost, after which the transport releases its descriptor and
// references, once. The write side (writeside.go) never closes: it
// reports a flushed buffer or a fatal error as its result, and the
// transport acts on it. The helpers here are what the transports share
// for that ending.

// closeState is the closing state of a transport with a write side (the
// stream socket, the write pipe, the datagram endpoint). Only the
// transport changes it; the write side reads it.
type closeState struct {
	closing  bool // Close, WriteEOF (a pipe's), Abort or an error began closing
	lost     bool // ConnectionLost is scheduled (or done)
	released bool // the descriptor is closed and references dropped
}

// closingTransport is a transport as the end of its close needs it: the
// protocol to tell, and what to release.
type closingTransport interface {
	GetProtocol() BaseProtocol
	// releaseResources closes the descriptor and drops every reference;
	// closeState calls it once, after ConnectionLost.
	releaseResources()
}

// scheduleConnectionLost marks ConnectionLost as scheduled and calls t's
// protocol's ConnectionLost(err) on a later iteration of l, as asyncio's
// call_soon(_call_connection_lost); t is released after it.
func (c *closeState) scheduleConnectionLost(l *loop.Loop, t closingTransport, err error) {
	c.lost = true
	l.CallSoon(func() { c.connectionLost(t, err) })
}

// connectionLostNow ends a Close that waited for the buffer to drain: as
// asyncio's _write_ready, the writer callback calls ConnectionLost(nil) at
// once; t is released after it.
func (c *closeState) connectionLostNow(t closingTransport) {
	c.lost = true
	c.connectionLost(t, nil)
}

// connectionLost calls t's protocol's ConnectionLost(err), if it has one,
// then (even if it panics) releases t, once.
func (c *closeState) connectionLost(t closingTransport, err error) {
	defer c.release(t)
	if p := t.GetProtocol(); p != nil {
		p.ConnectionLost(err)
	}
}

// release has t release its resources, the first time only.
func (c *closeState) release(t closingTransport) {
	if c.released {
		return
	}
	c.released = true
	t.releaseResources()
}

// releaser is a transport that can close its descriptor and drop its
// references once ConnectionLost has run (the read pipe; the transports
// with a write side are released by their closeState).
type releaser interface{ release() }

// deliverConnectionLost calls p.ConnectionLost(err) if p is not nil, then
// (even if it panics) r.release().
func deliverConnectionLost(p BaseProtocol, err error, r releaser) {
	defer r.release()
	if p != nil {
		p.ConnectionLost(err)
	}
}

// reprState is the state asyncio's transport reprs show: " closed" once
// released, " closing" while closing, else nothing.
func reprState(released, closing bool) string {
	switch {
	case released:
		return " closed"
	case closing:
		return " closing"
	}
	return ""
}

// reprPolling is how asyncio's transport reprs show a reader or writer:
// "polling" while it is registered, else "idle".
func reprPolling(registered bool) string {
	if registered {
		return "polling"
	}
	return "idle"
}

// plainNil returns nil for a nil *Error (a non-nil error interface that
// holds one), else err: ForceClose treats both as "no error".
func plainNil(err error) error {
	if e, ok := err.(*Error); ok && e == nil {
		return nil
	}
	return err
}
