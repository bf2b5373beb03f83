package starlarkbind

import (
	"fmt"

	"github.com/starnet-dev/starnet/loop"
	"github.com/starnet-dev/starnet/starlarkbind/internal/bind"
	"github.com/starnet-dev/starnet/transports"
	"go.starlark.net/starlark"
)

// Protocol factories: how a Starlark callable (a protocol class, a
// function) or a GoFactory value becomes a transports.ProtocolFactory, and
// what a factory that fails does (reported and its connection closed, or
// the Future of create_connection failed).

// ProtocolFactory turns a Starlark callable (a protocol class, a function, a
// lambda) or a GoFactory value into a transports.ProtocolFactory.
//
// The protocols it makes are tracked: Shutdown closes their transports. A
// Starlark factory that fails (or returns something that is not a protocol
// object) is reported through the exception handler, and the connection it
// was called for is closed with a ScriptError.
func (e *Env) ProtocolFactory(v starlark.Value) (transports.ProtocolFactory, error) {
	switch f := v.(type) {
	case *goFactoryValue:
		return func() (transports.BaseProtocol, error) {
			p, err := f.f()
			if err != nil {
				return nil, err
			}
			return e.wrapGo(p), nil
		}, nil
	case starlark.Callable:
		return func() (transports.BaseProtocol, error) { return e.makeProtocol(f), nil }, nil
	}
	return nil, typeErrorf("protocol factory: got %s, want a callable (a protocol class, a function)", v.Type())
}

// factoryArg makes the factory of a protocol_factory parameter of fnname;
// a value that is not a factory fails with the factoryArg Unpacker's
// message, as if unpacking it had.
func (e *Env) factoryArg(fnname string, v starlark.Value) (transports.ProtocolFactory, error) {
	f, err := e.ProtocolFactory(v)
	if err != nil {
		return nil, bind.UnpackArg(fnname, "protocol_factory", v, new(factoryArg))
	}
	return f, nil
}

// makeProtocol calls a Starlark factory and adapts what it returns.
func (e *Env) makeProtocol(factory starlark.Callable) transports.BaseProtocol {
	p, err := e.tryMakeProtocol(factory)
	if err == nil {
		return p
	}
	if !isExit(err) {
		e.report(loop.ErrorContext{
			Message: fmt.Sprintf("protocol factory %s failed", factory.Name()),
			Err:     err,
		})
	}
	return &brokenProtocol{e: e, err: scriptError("protocol factory "+factory.Name(), err)}
}

// tryMakeProtocol calls a Starlark factory and adapts what it returns.
func (e *Env) tryMakeProtocol(factory starlark.Callable) (transports.BaseProtocol, error) {
	obj, err := e.call(factory, nil)
	if err != nil {
		return nil, err
	}
	return e.protocolFor(obj)
}

// connectionFactory is the factory of calls that return a Future of a
// connection (create_connection, ...): as in asyncio, a factory that fails
// fails the Future — with a ScriptError — instead of being reported: the
// factory returns the error and the transports fail the Future with it.
func (e *Env) connectionFactory(fnname string, v starlark.Value) (transports.ProtocolFactory, error) {
	f, ok := v.(starlark.Callable)
	if _, isGo := v.(*goFactoryValue); isGo || !ok {
		return e.factoryArg(fnname, v)
	}
	return func() (transports.BaseProtocol, error) {
		p, err := e.tryMakeProtocol(f)
		if err != nil {
			return nil, scriptError("protocol factory "+f.Name(), err)
		}
		return p, nil
	}, nil
}

// protocolFor adapts a protocol object: a Go protocol value, or any value
// with attributes.
func (e *Env) protocolFor(obj starlark.Value) (transports.BaseProtocol, error) {
	if g, ok := obj.(*goProtocolValue); ok {
		return e.wrapGo(g.p), nil
	}
	if _, ok := obj.(starlark.HasAttrs); !ok {
		return nil, typeErrorf("protocol factory returned %s, want a protocol object (a value with callback attributes)", obj.Type())
	}
	return newAdapter(e, obj), nil
}

// GoFactory wraps a Go ProtocolFactory as a Starlark value that scripts can
// pass wherever a protocol factory is taken. Calling it from Starlark makes
// a Go protocol value, which set_protocol accepts.
func GoFactory(f transports.ProtocolFactory) starlark.Value { return &goFactoryValue{f: f} }
