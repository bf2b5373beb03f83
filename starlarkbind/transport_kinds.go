package starlarkbind

import (
	"github.com/starnet-dev/starnet/transports"
	"go.starlark.net/starlark"
)

// Datagram and subprocess transports next to the stream ones: the methods
// transport.go's table does not give them, and the protocol adapters of
// their kinds, for factories and set_protocol.

// extraTransportMethods are the methods transport.go's table does not give:
// the subprocess transport's (subprocess.go), and the datagram transport's
// flow-control limits.
var extraTransportMethods = []transportMethod{
	{"get_pid", kindSubprocess, tGetPid},
	{"get_pipe_transport", kindSubprocess, tGetPipeTransport},
	{"get_returncode", kindSubprocess, tGetReturncode},
	{"get_write_buffer_limits", kindDatagram, tLimitsGet},
	{"kill", kindSubprocess, tKill},
	{"send_signal", kindSubprocess, tSendSignal},
	{"set_write_buffer_limits", kindDatagram, tLimitsSet},
	{"terminate", kindSubprocess, tTerminate},
}

// extraAttr returns one of extraTransportMethods, bound to tv, or fails
// with an AttributeError.
func (tv *transportValue) extraAttr(name string) (starlark.Value, error) {
	for i := range extraTransportMethods {
		m := &extraTransportMethods[i]
		if m.name != name || m.kinds&tv.kind == 0 {
			continue
		}
		fnname := "transport." + m.name
		return starlark.NewBuiltin(m.name, func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			return m.fn(b.Receiver().(*transportValue), fnname, args, kwargs)
		}).BindReceiver(tv), nil
	}
	return nil, noAttr(tv, name)
}

// extraAttrNames lists the extraTransportMethods of tv's kind.
func (tv *transportValue) extraAttrNames() []string {
	var names []string
	for _, m := range extraTransportMethods {
		if m.kinds&tv.kind != 0 {
			names = append(names, m.name)
		}
	}
	return names
}

// writeLimiter is a transport with flow-control watermarks: every
// WriteTransport, and the datagram transport.
type writeLimiter interface {
	GetWriteBufferLimits() (low, high int)
	SetWriteBufferLimits(high, low *int) error
}

// tLimitsGet is get_write_buffer_limits() → (low, high).
func tLimitsGet(tv *transportValue, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fnname, args, kwargs); err != nil {
		return nil, err
	}
	wl, ok := tv.t.(writeLimiter)
	if !ok {
		return nil, noAttr(tv, "get_write_buffer_limits")
	}
	low, high := wl.GetWriteBufferLimits()
	return starlark.Tuple{starlark.MakeInt(low), starlark.MakeInt(high)}, nil
}

// tLimitsSet is set_write_buffer_limits(high=None, low=None).
func tLimitsSet(tv *transportValue, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var highV, lowV starlark.Value = starlark.None, starlark.None
	if err := unpack(fnname, args, kwargs, "high?", &highV, "low?", &lowV); err != nil {
		return nil, err
	}
	high, err := optionalInt(fnname, "high", highV)
	if err != nil {
		return nil, err
	}
	low, err := optionalInt(fnname, "low", lowV)
	if err != nil {
		return nil, err
	}
	wl, ok := tv.t.(writeLimiter)
	if !ok {
		return nil, noAttr(tv, "set_write_buffer_limits")
	}
	if err := wl.SetWriteBufferLimits(high, low); err != nil {
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
