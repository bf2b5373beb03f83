package starlarkbind

import (
	"github.com/starnet-dev/starnet/starlarkbind/internal/bind"
	"github.com/starnet-dev/starnet/transports"
	"go.starlark.net/starlark"
)

// Datagram and subprocess transports next to the stream ones: the
// flow-control limits that stream and datagram transports share, and the
// protocol adapters of their kinds, for factories and set_protocol.

// writeLimiter is a transport with flow-control watermarks: every
// WriteTransport, and the datagram transport.
type writeLimiter interface {
	GetWriteBufferLimits() (low, high int)
	SetWriteBufferLimits(high, low *int) error
}

// tLimitsGet is get_write_buffer_limits() → (low, high).
func tLimitsGet(tv *transportValue) (starlark.Value, error) {
	wl, ok := tv.t.(writeLimiter)
	if !ok {
		return nil, noAttr(tv, "get_write_buffer_limits")
	}
	low, high := wl.GetWriteBufferLimits()
	return starlark.Tuple{starlark.MakeInt(low), starlark.MakeInt(high)}, nil
}

// tLimitsSet is set_write_buffer_limits(high=None, low=None).
func tLimitsSet(tv *transportValue, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var high, low bind.OptionalInt
	if err := unpack(fnname, args, kwargs, "high?", &high, "low?", &low); err != nil {
		return nil, err
	}
	wl, ok := tv.t.(writeLimiter)
	if !ok {
		return nil, noAttr(tv, "set_write_buffer_limits")
	}
	if err := wl.SetWriteBufferLimits(high.Ptr(), low.Ptr()); err != nil {
		return nil, failWith(NewErrorValue(err))
	}
	return starlark.None, nil
}

// ---- factories of protocols of a kind ----

// kindFactory reads a protocol_factory parameter for a datagram endpoint
// (kind kindDatagram) or a subprocess (kindSubprocess): its protocols are
// adapted as that kind's. As for create_connection, a Starlark factory that
// fails fails the Future with a ScriptError. before, if set, runs just
// before each call of the factory.
func (e *Env) kindFactory(fnname string, v starlark.Value, kind transportKind, before func()) (transports.ProtocolFactory, error) {
	if before == nil {
		before = func() {}
	}
	switch f := v.(type) {
	case *goFactoryValue:
		return func() (transports.BaseProtocol, error) {
			before()
			p, err := f.f()
			if err != nil {
				return nil, err
			}
			return e.wrapGoKind(p), nil
		}, nil
	case starlark.Callable:
		return func() (transports.BaseProtocol, error) {
			before()
			obj, err := e.call(f, nil)
			if err == nil {
				var p transports.BaseProtocol
				if p, err = e.protocolOfKind(obj, kind); err == nil {
					return p, nil
				}
			}
			return nil, scriptError("protocol factory "+f.Name(), err)
		}, nil
	}
	return nil, typeErrorf("%s: for parameter protocol_factory: got %s, want a callable (a protocol class, a function)", fnname, v.Type())
}

// protocolOfKind adapts a protocol object for a transport of kind.
func (e *Env) protocolOfKind(obj starlark.Value, kind transportKind) (transports.BaseProtocol, error) {
	if g, ok := obj.(*goProtocolValue); ok {
		return e.wrapGoKind(g.p), nil
	}
	if _, ok := obj.(starlark.HasAttrs); !ok {
		return nil, typeErrorf("protocol factory returned %s, want a protocol object (a value with callback attributes)", obj.Type())
	}
	base := adapter{e: e, obj: obj}
	switch {
	case kind&kindDatagram != 0:
		return &datagramAdapter{adapter: base}, nil
	case kind&kindSubprocess != 0:
		return &subprocessAdapter{adapter: base}, nil
	}
	return newAdapter(e, obj), nil
}

// protocolForTransport adapts a protocol object given to set_protocol as
// the kind of the transport needs.
func (e *Env) protocolForTransport(tv *transportValue, obj starlark.Value) (transports.BaseProtocol, error) {
	if tv.kind&(kindDatagram|kindSubprocess) != 0 {
		return e.protocolOfKind(obj, tv.kind)
	}
	return e.protocolFor(obj)
}

// wrapGoKind wraps a Go protocol for tracking, keeping every kind it has:
// datagram and subprocess protocols too.
func (e *Env) wrapGoKind(p transports.BaseProtocol) transports.BaseProtocol {
	switch q := p.(type) {
	case nil:
		return nil // the transports fail the Future: the factory returned nil
	case goDatagram, goSubprocess, starlarkProtocol:
		return p
	case transports.DatagramProtocol:
		return goDatagram{goBase: &goBase{BaseProtocol: p, e: e}, p: q}
	case transports.SubprocessProtocol:
		return goSubprocess{goBase: &goBase{BaseProtocol: p, e: e}, p: q}
	}
	return e.wrapGo(p)
}
