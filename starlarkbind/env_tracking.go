package starlarkbind

import (
	"github.com/starnet-dev/starnet/transports"
)

// Tracking: the env knows every transport its protocols hold open and
// every server its scripts made (Env.conns, Env.servers), gives each one
// Starlark value, and closes them all on Shutdown.

// Shutdown stops every server and closes every transport the env opened:
// gracefully (buffers flushed, ConnectionLost(nil)) or, with abort, at once.
func (e *Env) Shutdown(abort bool) {
	for s := range e.servers {
		delete(e.servers, s)
		s.Close()
	}
	ts := make([]transports.BaseTransport, 0, len(e.conns))
	for t := range e.conns {
		ts = append(ts, t)
	}
	for _, t := range ts {
		if abort {
			abortTransport(t)
		} else {
			t.Close()
		}
	}
}

// abortTransport closes t at once, dropping what it buffered.
func abortTransport(t transports.BaseTransport) {
	switch t := t.(type) {
	case transports.WriteTransport:
		t.Abort()
	case transports.DatagramTransport:
		t.Abort()
	default:
		t.Close()
	}
}

// TrackServer makes Shutdown close s. Servers that scripts create are
// tracked already; the runtime calls this for the ones it creates.
func (e *Env) TrackServer(s *transports.Server) { e.serverValue(s).host = true }

// OpenTransports returns how many transports the env's protocols hold open.
func (e *Env) OpenTransports() int { return len(e.conns) }

// track records an open transport; untrack forgets it and, once exit() or
// a signal is draining the env and nothing is left, stops the loop.
func (e *Env) track(t transports.BaseTransport) *transportValue {
	if tv, ok := e.conns[t]; ok {
		return tv
	}
	tv := newTransportValue(e, t)
	e.conns[t] = tv
	return tv
}

func (e *Env) untrack(t transports.BaseTransport) {
	delete(e.conns, t)
	if e.draining && len(e.conns) == 0 {
		e.loop.Stop()
	}
}

// transportValue returns the Starlark value of t: the same one for as long
// as t is open.
func (e *Env) transportValue(t transports.BaseTransport) *transportValue {
	if tv, ok := e.conns[t]; ok {
		return tv
	}
	return newTransportValue(e, t)
}

// serverValue returns (making once) the Starlark value of s.
func (e *Env) serverValue(s *transports.Server) *serverValue {
	if sv, ok := e.servers[s]; ok {
		return sv
	}
	sv := &serverValue{e: e, s: s}
	e.servers[s] = sv
	return sv
}
