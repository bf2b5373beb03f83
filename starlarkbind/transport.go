package starlarkbind

import (
	"fmt"
	"net"
	"reflect"
	"strconv"

	"github.com/starnet-dev/starnet/loop"
	"github.com/starnet-dev/starnet/starlarkbind/internal/bind"
	"github.com/starnet-dev/starnet/transports"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// Transport values (API.md "Transports"). A transport has the methods of the asyncio
// classes its Go value implements; asking for another kind's method fails
// with an AttributeError. Bound methods are made once per transport, so
// `self.transport.write(data)` allocates nothing but what write needs.

// transportKind is a bit set of the asyncio classes a transport implements.
type transportKind uint8

const (
	kindBase transportKind = 1 << iota
	kindRead
	kindWrite
	kindDatagram
	kindSubprocess
)

// has returns the Has of a method that transports of any of kinds have.
func has(kinds transportKind) func(*transportValue) bool {
	return func(tv *transportValue) bool { return tv.kind&kinds != 0 }
}

// transportMethods are the methods of every kind of transport, each
// shown only by the kinds that have it (the subprocess methods are in
// subprocess.go, the flow-control limits in transport_kinds.go).
var transportMethods = bind.NewMethods("transport", map[string]bind.Method[*transportValue]{
	"abort":                   {Fn0: tAbort, Has: has(kindWrite | kindDatagram)},
	"can_write_eof":           {Fn0: tCanWriteEOF, Has: has(kindWrite)},
	"close":                   {Fn0: tClose, Has: has(kindBase)},
	"get_extra_info":          {Fn: tGetExtraInfo, Has: has(kindBase)},
	"get_protocol":            {Fn0: tGetProtocol, Has: has(kindBase)},
	"get_write_buffer_limits": {Fn0: tLimitsGet, Has: has(kindWrite | kindDatagram)},
	"get_write_buffer_size":   {Fn0: tGetWriteBufferSize, Has: has(kindWrite | kindDatagram)},
	"is_closing":              {Fn0: tIsClosing, Has: has(kindBase)},
	"is_reading":              {Fn0: tIsReading, Has: has(kindRead)},
	"pause_reading":           {Fn0: tPauseReading, Has: has(kindRead)},
	"resume_reading":          {Fn0: tResumeReading, Has: has(kindRead)},
	"sendto":                  {Fn: tSendto, Has: has(kindDatagram)},
	"set_protocol":            {Fn: tSetProtocol, Has: has(kindBase)},
	"set_write_buffer_limits": {Fn: tLimitsSet, Has: has(kindWrite | kindDatagram)},
	"write":                   {Fn: tWrite, Has: has(kindWrite)}, // Attr's fast path: transportValue.write
	"write_eof":               {Fn0: tWriteEOF, Has: has(kindWrite)},
	"writelines":              {Fn: tWritelines, Has: has(kindWrite)},
	"get_pid":                 {Fn0: tGetPid, Has: has(kindSubprocess)},
	"get_pipe_transport":      {Fn: tGetPipeTransport, Has: has(kindSubprocess)},
	"get_returncode":          {Fn0: tGetReturncode, Has: has(kindSubprocess)},
	"kill":                    {Fn0: tKill, Has: has(kindSubprocess)},
	"send_signal":             {Fn: tSendSignal, Has: has(kindSubprocess)},
	"terminate":               {Fn0: tTerminate, Has: has(kindSubprocess)},
})

// transportValue is the Starlark value of a transport. A server holds one
// per connection, so it is small: write, the method of the hot path, is a
// field of it (no allocation); the others are made on first use.
type transportValue struct {
	e     *Env
	t     transports.BaseTransport
	kind  transportKind
	write writeMethod // transport.write, bound to this value
	bound bind.Bound  // the others, bound on first use
}

var _ starlark.HasAttrs = (*transportValue)(nil)

func newTransportValue(e *Env, t transports.BaseTransport) *transportValue {
	tv := &transportValue{e: e, t: t, kind: kindOf(t)}
	tv.write.tv = tv
	return tv
}

func kindOf(t transports.BaseTransport) transportKind {
	k := kindBase
	if _, ok := t.(transports.ReadTransport); ok {
		k |= kindRead
	}
	if _, ok := t.(transports.WriteTransport); ok {
		k |= kindWrite
	}
	if _, ok := t.(transports.DatagramTransport); ok {
		k |= kindDatagram
	}
	if _, ok := t.(transports.SubprocessTransport); ok {
		k |= kindSubprocess
	}
	return k
}

// Transport returns the Go transport (for Go exception handlers, whose
// ErrorContext.Transport holds this value for script protocols).
func (tv *transportValue) Transport() transports.BaseTransport { return tv.t }

func (tv *transportValue) String() string {
	if s, ok := tv.t.(fmt.Stringer); ok {
		return s.String()
	}
	return "<transport>"
}

func (tv *transportValue) Type() string          { return "transport" }
func (tv *transportValue) Freeze()               {}
func (tv *transportValue) Truth() starlark.Bool  { return starlark.True }
func (tv *transportValue) Hash() (uint32, error) { return identityHash(tv), nil }

// Attr returns a bound method, or fails with an AttributeError for a
// method of another kind of transport. A method is the same value each
// time it is asked for; write, the hot path, is a field of the value.
func (tv *transportValue) Attr(name string) (starlark.Value, error) {
	if name == "write" && tv.kind&kindWrite != 0 {
		return &tv.write, nil
	}
	return transportMethods.Attr(tv, &tv.bound, name)
}

// AttrNames lists the methods of this transport's kind.
func (tv *transportValue) AttrNames() []string { return transportMethods.AttrNames(tv) }

// writeMethod is transport.write bound to its transport: a built-in
// method, as starlark.Builtin values are, that lives inside the transport
// value.
type writeMethod struct{ tv *transportValue }

var _ starlark.Callable = (*writeMethod)(nil)

// Name returns "write".
func (m *writeMethod) Name() string { return "write" }

// String describes the method as a bound Builtin does.
func (m *writeMethod) String() string {
	return "<built-in method write of transport value>"
}

// Type is the type of built-in methods.
func (m *writeMethod) Type() string          { return "builtin_function_or_method" }
func (m *writeMethod) Freeze()               {}
func (m *writeMethod) Truth() starlark.Bool  { return starlark.True }
func (m *writeMethod) Hash() (uint32, error) { return identityHash(m), nil }

// CallInternal writes.
func (m *writeMethod) CallInternal(_ *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	return tWrite(m.tv, "transport.write", args, kwargs)
}

func tClose(tv *transportValue) (starlark.Value, error) {
	tv.t.Close()
	return starlark.None, nil
}

func tIsClosing(tv *transportValue) (starlark.Value, error) {
	return starlark.Bool(tv.t.IsClosing()), nil
}

func tGetExtraInfo(tv *transportValue, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	var def starlark.Value = starlark.None
	if err := unpack(fnname, args, kwargs, "name", &name, "default?", &def); err != nil {
		return nil, err
	}
	v := tv.e.extraInfo(tv.t, name) // tlsvalues.go: the TLS keys too
	if v == nil {
		return def, nil
	}
	return v, nil
}

func tSetProtocol(tv *transportValue, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var pa protocolArg
	if err := unpack(fnname, args, kwargs, "protocol", &pa); err != nil {
		return nil, err
	}
	p := pa.v
	proto, err := tv.e.protocolForTransport(tv, p)
	if err != nil {
		return nil, err
	}
	switch q := proto.(type) {
	case starlarkProtocol:
		q.base().tv = tv
	case interface {
		attach(transports.BaseTransport)
	}:
		q.attach(tv.t)
	}
	tv.t.SetProtocol(proto)
	// A Go protocol fresh from a GoFactory value has no other way to learn
	// its transport: it gets ConnectionMade now (once).
	if g, ok := p.(*goProtocolValue); ok && g.fresh {
		g.fresh = false
		proto.ConnectionMade(tv.t)
	}
	return starlark.None, nil
}

func tGetProtocol(tv *transportValue) (starlark.Value, error) {
	return tv.e.protocolValue(tv.t.GetProtocol()), nil
}

func tIsReading(tv *transportValue) (starlark.Value, error) {
	return starlark.Bool(tv.t.(transports.ReadTransport).IsReading()), nil
}

func tPauseReading(tv *transportValue) (starlark.Value, error) {
	tv.t.(transports.ReadTransport).PauseReading()
	return starlark.None, nil
}

func tResumeReading(tv *transportValue) (starlark.Value, error) {
	tv.t.(transports.ReadTransport).ResumeReading()
	return starlark.None, nil
}

// tWrite is the hot path: one positional argument, no unpacking machinery.
func tWrite(tv *transportValue, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	data, ok := []byte(nil), false
	if len(args) == 1 && len(kwargs) == 0 {
		data, ok = bytesOf(args[0]) // what dataArg takes, without UnpackArgs
	}
	if !ok {
		var arg dataArg // escapes: only on this path
		if err := unpack(fnname, args, kwargs, "data", &arg); err != nil {
			return nil, err
		}
		data = arg.b
	}
	if err := tv.t.(transports.WriteTransport).Write(data); err != nil {
		return nil, failWith(NewErrorValue(err))
	}
	return starlark.None, nil
}

func tWritelines(tv *transportValue, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var seq starlark.Iterable
	if err := unpack(fnname, args, kwargs, "list_of_data", &seq); err != nil {
		return nil, err
	}
	var bufs [][]byte
	it := seq.Iterate()
	defer it.Done()
	var x starlark.Value
	for i := 0; it.Next(&x); i++ {
		b, ok := bytesOf(x) // what dataArg takes, without an allocation per element
		if !ok {
			return nil, bind.UnpackElement(fnname, "list_of_data", i, x, new(dataArg))
		}
		bufs = append(bufs, b)
	}
	if err := tv.t.(transports.WriteTransport).Writelines(bufs); err != nil {
		return nil, failWith(NewErrorValue(err))
	}
	return starlark.None, nil
}

func tWriteEOF(tv *transportValue) (starlark.Value, error) {
	if err := tv.t.(transports.WriteTransport).WriteEOF(); err != nil {
		return nil, failWith(NewErrorValue(err))
	}
	return starlark.None, nil
}

func tCanWriteEOF(tv *transportValue) (starlark.Value, error) {
	return starlark.Bool(tv.t.(transports.WriteTransport).CanWriteEOF()), nil
}

func tAbort(tv *transportValue) (starlark.Value, error) {
	abortTransport(tv.t)
	return starlark.None, nil
}

func tGetWriteBufferSize(tv *transportValue) (starlark.Value, error) {
	switch t := tv.t.(type) {
	case transports.WriteTransport:
		return starlark.MakeInt(t.GetWriteBufferSize()), nil
	case transports.DatagramTransport:
		return starlark.MakeInt(t.GetWriteBufferSize()), nil
	}
	return starlark.MakeInt(0), nil
}

func tSendto(tv *transportValue, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var data dataArg
	var addr sendtoAddrArg
	if err := unpack(fnname, args, kwargs, "data", &data, "addr?", &addr); err != nil {
		return nil, err
	}
	if err := tv.t.(transports.DatagramTransport).SendTo(data.b, addr.a); err != nil {
		return nil, failWith(NewErrorValue(err))
	}
	return starlark.None, nil
}

// sendtoAddrArg unpacks sendto's addr: a (host, port) tuple with a
// literal IP (no name lookup happens on a send), a path, or None.
type sendtoAddrArg struct{ a net.Addr }

func (a *sendtoAddrArg) Unpack(v starlark.Value) error {
	var sa bind.SockAddr
	if err := sa.Unpack(v); err != nil {
		return err
	}
	switch {
	case !sa.Set:
		a.a = nil
	case sa.Path:
		a.a = &net.UnixAddr{Name: sa.Host, Net: "unixgram"}
	default:
		ip := net.ParseIP(sa.Host)
		if ip == nil {
			return bind.Invalid(strconv.Quote(sa.Host) + " is not an IP address")
		}
		a.a = &net.UDPAddr{IP: ip, Port: sa.Port}
	}
	return nil
}

// protocolValue converts a transport's protocol to what scripts see.
func (e *Env) protocolValue(p transports.BaseProtocol) starlark.Value {
	switch q := p.(type) {
	case nil:
		return starlark.None
	case starlarkProtocol:
		return q.base().obj
	}
	return &goProtocolValue{p: unwrapGo(p)}
}

// serverValue is the Starlark value of a server (asyncio.Server).
type serverValue struct {
	e     *Env
	s     *transports.Server
	bound bind.Bound // its methods, bound on first use
	host  bool       // the host's (Env.TrackServer), not the script's
}

var _ starlark.HasAttrs = (*serverValue)(nil)

// Server returns the Go server.
func (sv *serverValue) Server() *transports.Server { return sv.s }

func (sv *serverValue) String() string {
	if s, ok := any(sv.s).(fmt.Stringer); ok {
		return s.String()
	}
	return "<server>"
}

func (sv *serverValue) Type() string          { return "server" }
func (sv *serverValue) Freeze()               {}
func (sv *serverValue) Truth() starlark.Bool  { return starlark.True }
func (sv *serverValue) Hash() (uint32, error) { return identityHash(sv), nil }

// serverMethods are asyncio.Server's methods, and sockets.
var serverMethods = bind.NewMethods("server", map[string]bind.Method[*serverValue]{
	"abort_clients": {Fn0: (*serverValue).abortClients},
	"close":         {Fn0: (*serverValue).close},
	"close_clients": {Fn0: (*serverValue).closeClients},
	"is_serving":    {Fn0: (*serverValue).isServing},
	"sockets":       {Get: (*serverValue).sockets},
	"start_serving": {Fn0: (*serverValue).startServing},
	"wait_closed":   {Fn0: (*serverValue).waitClosed},
})

func (sv *serverValue) AttrNames() []string { return serverMethods.AttrNames(sv) }

func (sv *serverValue) Attr(name string) (starlark.Value, error) {
	return serverMethods.Attr(sv, &sv.bound, name)
}

func (sv *serverValue) sockets() (starlark.Value, error) {
	socks := sv.s.Sockets()
	list := make([]starlark.Value, len(socks))
	for i, s := range socks {
		list[i] = &socketValue{s: s}
	}
	return starlark.NewList(list), nil
}

func (sv *serverValue) close() (starlark.Value, error) {
	sv.s.Close()
	delete(sv.e.servers, sv.s)
	return starlark.None, nil
}

func (sv *serverValue) isServing() (starlark.Value, error) {
	return starlark.Bool(sv.s.IsServing()), nil
}

func (sv *serverValue) startServing() (starlark.Value, error) {
	if err := sv.s.StartServing(); err != nil {
		return nil, failWith(NewErrorValue(err))
	}
	return starlark.None, nil
}

func (sv *serverValue) closeClients() (starlark.Value, error) {
	sv.s.CloseClients()
	return starlark.None, nil
}

func (sv *serverValue) abortClients() (starlark.Value, error) {
	sv.s.AbortClients()
	return starlark.None, nil
}

func (sv *serverValue) waitClosed() (starlark.Value, error) {
	return sv.e.futureValue(sv.s.WaitClosed()), nil
}

// sockInfo is what a socket value shows: *transports.Socket, or a socket
// received from the host (os.listen_fds()).
type sockInfo interface {
	Fileno() int
	Family() int
	Type() int
	Getsockname() net.Addr
	Getpeername() net.Addr
}

// socketValue is a socket object: fileno(), getsockname(), getpeername(),
// family, type.
type socketValue struct {
	s sockInfo
}

var _ starlark.HasAttrs = (*socketValue)(nil)

func (sv *socketValue) String() string {
	if s, ok := sv.s.(fmt.Stringer); ok {
		return s.String()
	}
	return fmt.Sprintf("<socket fd=%d, family=%d, type=%d>", sv.s.Fileno(), sv.s.Family(), sv.s.Type())
}

func (sv *socketValue) Type() string          { return "socket" }
func (sv *socketValue) Freeze()               {}
func (sv *socketValue) Truth() starlark.Bool  { return starlark.True }
func (sv *socketValue) Hash() (uint32, error) { return identityHash(sv), nil }

// socketMethods are a socket object's methods and attributes.
var socketMethods = bind.NewMethods("socket", map[string]bind.Method[*socketValue]{
	"family":      {Get: func(sv *socketValue) (starlark.Value, error) { return starlark.MakeInt(sv.s.Family()), nil }},
	"type":        {Get: func(sv *socketValue) (starlark.Value, error) { return starlark.MakeInt(sv.s.Type()), nil }},
	"fileno":      {Fn0: func(sv *socketValue) (starlark.Value, error) { return starlark.MakeInt(sv.s.Fileno()), nil }},
	"getsockname": {Fn0: func(sv *socketValue) (starlark.Value, error) { return addrValue(sv.s.Getsockname()), nil }},
	"getpeername": {Fn0: func(sv *socketValue) (starlark.Value, error) { return addrValue(sv.s.Getpeername()), nil }},
})

func (sv *socketValue) AttrNames() []string { return socketMethods.AttrNames(sv) }

func (sv *socketValue) Attr(name string) (starlark.Value, error) {
	return socketMethods.Attr(sv, nil, name)
}

// goFactoryValue is a Go ProtocolFactory as a Starlark value (GoFactory).
type goFactoryValue struct {
	f transports.ProtocolFactory
}

var _ starlark.Callable = (*goFactoryValue)(nil)

func (g *goFactoryValue) Name() string          { return "go_factory" }
func (g *goFactoryValue) String() string        { return "<Go protocol factory>" }
func (g *goFactoryValue) Type() string          { return "go_factory" }
func (g *goFactoryValue) Freeze()               {}
func (g *goFactoryValue) Truth() starlark.Bool  { return starlark.True }
func (g *goFactoryValue) Hash() (uint32, error) { return identityHash(g), nil }

// CallInternal makes a Go protocol value.
func (g *goFactoryValue) CallInternal(_ *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs("go_factory", args, kwargs); err != nil {
		return nil, err
	}
	p, err := g.f()
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, runtimeErrorf("Go protocol factory returned nil")
	}
	return &goProtocolValue{p: p, fresh: true}, nil
}

// goProtocolValue is a Go protocol as a Starlark value: opaque, accepted by
// set_protocol and returned by get_protocol. One made by calling a GoFactory
// value gets ConnectionMade from the first set_protocol it is given to.
type goProtocolValue struct {
	p     transports.BaseProtocol
	fresh bool // made by calling a GoFactory value, never connected yet
}

func (g *goProtocolValue) String() string        { return loop.Describe(g.p, "protocol") }
func (g *goProtocolValue) Type() string          { return "go_protocol" }
func (g *goProtocolValue) Freeze()               {}
func (g *goProtocolValue) Truth() starlark.Bool  { return starlark.True }
func (g *goProtocolValue) Hash() (uint32, error) { return 0, nil }

// CompareSameType compares the Go protocols.
func (g *goProtocolValue) CompareSameType(op syntax.Token, y starlark.Value, _ int) (bool, error) {
	h, ok := y.(*goProtocolValue)
	if !ok {
		return false, typeErrorf("cannot compare go_protocol with %s", y.Type())
	}
	same := sameGoValue(g.p, h.p)
	switch op {
	case syntax.EQL:
		return same, nil
	case syntax.NEQ:
		return !same, nil
	}
	return false, typeErrorf("go_protocol %s go_protocol not supported", op)
}

// sameGoValue compares two interface values without panicking on
// uncomparable dynamic types (those are equal only to themselves, which
// cannot be told: false).
func sameGoValue(a, b any) bool {
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	if ta != tb || ta == nil || !ta.Comparable() {
		return ta == nil && tb == nil
	}
	return a == b
}
