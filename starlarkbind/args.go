package starlarkbind

import (
	"syscall"

	"github.com/starnet-dev/starnet/loop"
	"github.com/starnet-dev/starnet/starlarkbind/internal/bind"
	"go.starlark.net/starlark"
)

// The argument unpackers of this package's own values (starlark.Unpacker
// types, as those of package bind for seconds, ports, optional ints and
// strings, addresses). A builtin unpacks all its arguments in one unpack
// call; an Unpacker reports a wrong value with bind.Want or bind.Invalid,
// so that every message reads
//
//	TypeError: loop.wait_for: for parameter fut: got int, want future

// unpack is bind.UnpackArgs: starlark.UnpackArgs with the class of the
// failure kept (a TypeError unless an Unpacker said otherwise).
func unpack(fnname string, args starlark.Tuple, kwargs []starlark.Tuple, pairs ...any) error {
	return bind.UnpackArgs(fnname, args, kwargs, pairs...)
}

// noArgs fails unless the call has no arguments.
func noArgs(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) error {
	if len(args) == 0 && len(kwargs) == 0 {
		return nil
	}
	return unpack(fnname, args, kwargs)
}

// futureArg unpacks a future.
type futureArg struct{ f *loop.Future }

func (a *futureArg) Unpack(v starlark.Value) error {
	fv, ok := v.(*futureValue)
	if !ok {
		return bind.Want(v, "future")
	}
	a.f = fv.f
	return nil
}

// factoryArg unpacks a protocol factory: a callable (a protocol class, a
// function, a GoFactory value).
type factoryArg struct{ v starlark.Callable }

func (a *factoryArg) Unpack(v starlark.Value) error {
	f, ok := v.(starlark.Callable)
	if !ok {
		return bind.Want(v, "a callable (a protocol class, a function)")
	}
	a.v = f
	return nil
}

// signalArg unpacks a signal number (1..64).
type signalArg struct{ sig syscall.Signal }

func (a *signalArg) Unpack(v starlark.Value) error {
	var n int
	if err := starlark.AsInt(v, &n); err != nil {
		return bind.Want(v, "int")
	}
	if n <= 0 || n >= 65 {
		return bind.Invalid("signal number " + starlark.MakeInt(n).String() + " out of range")
	}
	a.sig = syscall.Signal(n)
	return nil
}

// dataArg unpacks the data of a write: bytes or a string (its UTF-8
// bytes), without copying (see bytesOf).
type dataArg struct{ b []byte }

func (a *dataArg) Unpack(v starlark.Value) error {
	b, ok := bytesOf(v)
	if !ok {
		return bind.Want(v, "bytes or string")
	}
	a.b = b
	return nil
}

// optionalDataArg is dataArg or None (nil then).
type optionalDataArg struct{ dataArg }

func (a *optionalDataArg) Unpack(v starlark.Value) error {
	if v == starlark.None {
		a.b = nil
		return nil
	}
	if err := a.dataArg.Unpack(v); err != nil {
		return bind.Want(v, "bytes, string or None")
	}
	return nil
}

// errorArg unpacks an exception: an error value, or a string (an error of
// kind Exception with that message).
type errorArg struct{ ev *ErrorValue }

func (a *errorArg) Unpack(v starlark.Value) error {
	switch x := v.(type) {
	case *ErrorValue:
		a.ev = x
		return nil
	case starlark.String:
		a.ev = newError(kindException, string(x))
		return nil
	}
	return bind.Want(v, "an error value or a string")
}

// sockArg unpacks a socket value (os.listen_fds()). An optional sock is
// "sock??": None is no socket.
type sockArg struct{ sv *socketValue }

func (a *sockArg) Unpack(v starlark.Value) error {
	sv, ok := v.(*socketValue)
	if !ok {
		return bind.Want(v, "socket")
	}
	a.sv = sv
	return nil
}

// sslArg unpacks ssl=: an ssl.SSLContext, a bool (True: a default client
// context) or None. Set server before unpacking for a server's call,
// whose message does not offer True.
type sslArg struct {
	server bool
	ctx    *sslContext
	isBool bool
	b      bool
}

func (a *sslArg) Unpack(v starlark.Value) error {
	a.ctx, a.isBool, a.b = nil, false, false
	switch x := v.(type) {
	case starlark.NoneType:
		return nil
	case starlark.Bool:
		a.isBool, a.b = true, bool(x)
		return nil
	case *sslContext:
		a.ctx = x
		return nil
	}
	if a.server {
		return bind.Want(v, "an ssl.SSLContext or None")
	}
	return bind.Want(v, "an ssl.SSLContext, True or None")
}

// protocolArg unpacks a protocol object: a value with callback
// attributes, or a Go protocol value.
type protocolArg struct{ v starlark.Value }

func (a *protocolArg) Unpack(v starlark.Value) error {
	switch v.(type) {
	case *goProtocolValue, starlark.HasAttrs:
		a.v = v
		return nil
	}
	return bind.Want(v, "a protocol object")
}
