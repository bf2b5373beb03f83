package starlarkbind

import (
	"fmt"
	"net"
	"reflect"

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

// transportMethod is one script-visible method.
type transportMethod struct {
	name  string
	kinds transportKind // the method exists if the transport has any of these
	fn    func(tv *transportValue, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error)
}

// transportMethods is the table of methods, sorted by name; it is never
// modified. methodIndex finds a name in it.
var transportMethods = [numTransportMethods]transportMethod{
	{"abort", kindWrite | kindDatagram, tAbort},
	{"can_write_eof", kindWrite, tCanWriteEOF},
	{"close", kindBase, tClose},
	{"get_extra_info", kindBase, tGetExtraInfo},
	{"get_protocol", kindBase, tGetProtocol},
	{"get_write_buffer_limits", kindWrite, tLimitsGet},
	{"get_write_buffer_size", kindWrite | kindDatagram, tGetWriteBufferSize},
	{"is_closing", kindBase, tIsClosing},
	{"is_reading", kindRead, tIsReading},
	{"pause_reading", kindRead, tPauseReading},
	{"resume_reading", kindRead, tResumeReading},
	{"sendto", kindDatagram, tSendto},
	{"set_protocol", kindBase, tSetProtocol},
	{"set_write_buffer_limits", kindWrite, tLimitsSet},
	{"write", kindWrite, tWrite},
	{"write_eof", kindWrite, tWriteEOF},
	{"writelines", kindWrite, tWritelines},
}

// Indexes in transportMethods of the methods found without a search.
const (
	methodWrite         = 14
	numTransportMethods = 17
)

// methodIndex returns the index of name in transportMethods, or -1.
func methodIndex(name string) int {
	if name == "write" { // the hot path: self.transport.write(data)
		return methodWrite
	}
	lo, hi := 0, len(transportMethods)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if transportMethods[mid].name < name {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < len(transportMethods) && transportMethods[lo].name == name {
		return lo
	}
	return -1
}

// transportBuiltins are the implementations of the methods' builtins, by
// index in transportMethods: each finds its transport as the receiver.
var transportBuiltins = func() (fns [numTransportMethods]func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error)) {
	for i := range transportMethods {
		m := &transportMethods[i]
		fnname := "transport." + m.name
		fns[i] = func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			return m.fn(b.Receiver().(*transportValue), fnname, args, kwargs)
		}
	}
	return fns
}()

// transportValue is the Starlark value of a transport. A server holds one
// per connection, so it is small: write, the method of the hot path, is a
// field of it (no allocation); the others are made on first use.
type transportValue struct {
	e       *Env
	t       transports.BaseTransport
	kind    transportKind
	write   writeMethod                             // transport.write, bound to this value
	methods *[numTransportMethods]*starlark.Builtin // the others, made on first use
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
// time it is asked for.
func (tv *transportValue) Attr(name string) (starlark.Value, error) {
	i := methodIndex(name)
	if i < 0 || transportMethods[i].kinds&tv.kind == 0 {
		return tv.extraAttr(name) // transport_kinds.go
	}
	if i == methodWrite {
		return &tv.write, nil
	}
	if tv.methods == nil {
		tv.methods = new([numTransportMethods]*starlark.Builtin)
	}
	if b := tv.methods[i]; b != nil {
		return b, nil
	}
	b := starlark.NewBuiltin(transportMethods[i].name, transportBuiltins[i]).BindReceiver(tv)
	tv.methods[i] = b
	return b, nil
}

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

// AttrNames lists the methods of this transport's kind.
func (tv *transportValue) AttrNames() []string {
	var names []string
	for _, m := range transportMethods {
		if m.kinds&tv.kind != 0 {
			names = append(names, m.name)
		}
	}
	return append(names, tv.extraAttrNames()...)
}

func noArgs(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) error {
	return unpack(fnname, args, kwargs)
}

func tClose(tv *transportValue, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fnname, args, kwargs); err != nil {
		return nil, err
	}
	tv.t.Close()
	return starlark.None, nil
}

func tIsClosing(tv *transportValue, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fnname, args, kwargs); err != nil {
		return nil, err
	}
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
	var p starlark.Value
	if err := unpack(fnname, args, kwargs, "protocol", &p); err != nil {
		return nil, err
	}
	proto, err := tv.e.protocolForTransport(tv, p)
	if err != nil {
		return nil, typeErrorf("%s: for parameter protocol: got %s, want a protocol object", fnname, p.Type())
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

func tGetProtocol(tv *transportValue, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fnname, args, kwargs); err != nil {
		return nil, err
	}
	return tv.e.protocolValue(tv.t.GetProtocol()), nil
}

func tIsReading(tv *transportValue, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fnname, args, kwargs); err != nil {
		return nil, err
	}
	return starlark.Bool(tv.t.(transports.ReadTransport).IsReading()), nil
}

func tPauseReading(tv *transportValue, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fnname, args, kwargs); err != nil {
		return nil, err
	}
	tv.t.(transports.ReadTransport).PauseReading()
	return starlark.None, nil
}

func tResumeReading(tv *transportValue, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fnname, args, kwargs); err != nil {
		return nil, err
	}
	tv.t.(transports.ReadTransport).ResumeReading()
	return starlark.None, nil
}

// tWrite is the hot path: one positional argument, no unpacking machinery.
func tWrite(tv *transportValue, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if len(args) != 1 || len(kwargs) != 0 {
		var data starlark.Value
		if err := unpack(fnname, args, kwargs, "data", &data); err != nil {
			return nil, err
		}
		args = starlark.Tuple{data}
	}
	data, ok := bytesOf(args[0])
	if !ok {
		return nil, typeErrorf("%s: for parameter data: got %s, want bytes or string", fnname, args[0].Type())
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
		b, ok := bytesOf(x)
		if !ok {
			return nil, typeErrorf("%s: for parameter list_of_data: element %d is %s, want bytes or string", fnname, i, x.Type())
		}
		bufs = append(bufs, b)
	}
	if err := tv.t.(transports.WriteTransport).Writelines(bufs); err != nil {
		return nil, failWith(NewErrorValue(err))
	}
	return starlark.None, nil
}

func tWriteEOF(tv *transportValue, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fnname, args, kwargs); err != nil {
		return nil, err
	}
	if err := tv.t.(transports.WriteTransport).WriteEOF(); err != nil {
		return nil, failWith(NewErrorValue(err))
	}
	return starlark.None, nil
}

func tCanWriteEOF(tv *transportValue, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fnname, args, kwargs); err != nil {
		return nil, err
	}
	return starlark.Bool(tv.t.(transports.WriteTransport).CanWriteEOF()), nil
}

func tAbort(tv *transportValue, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fnname, args, kwargs); err != nil {
		return nil, err
	}
	abortTransport(tv.t)
	return starlark.None, nil
}

func tGetWriteBufferSize(tv *transportValue, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fnname, args, kwargs); err != nil {
		return nil, err
	}
	switch t := tv.t.(type) {
	case transports.WriteTransport:
		return starlark.MakeInt(t.GetWriteBufferSize()), nil
	case transports.DatagramTransport:
		return starlark.MakeInt(t.GetWriteBufferSize()), nil
	}
	return starlark.MakeInt(0), nil
}

func tSendto(tv *transportValue, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var data, addrV starlark.Value = nil, starlark.None
	if err := unpack(fnname, args, kwargs, "data", &data, "addr?", &addrV); err != nil {
		return nil, err
	}
	b, ok := bytesOf(data)
	if !ok {
		return nil, typeErrorf("%s: for parameter data: got %s, want bytes", fnname, data.Type())
	}
	var addr net.Addr
	if addrV != starlark.None {
		a, err := udpAddrOf(fnname, addrV)
		if err != nil {
			return nil, err
		}
		addr = a
	}
	if err := tv.t.(transports.DatagramTransport).SendTo(b, addr); err != nil {
		return nil, failWith(NewErrorValue(err))
	}
	return starlark.None, nil
}

// udpAddrOf reads a (host, port) tuple with a literal IP, or a path.
func udpAddrOf(fnname string, v starlark.Value) (net.Addr, error) {
	if s, ok := v.(starlark.String); ok {
		return &net.UnixAddr{Name: string(s), Net: "unixgram"}, nil
	}
	host, port, err := hostPortOf(fnname, "addr", v)
	if err != nil {
		return nil, err
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return nil, valueErrorf("%s: for parameter addr: %q is not an IP address", fnname, host)
	}
	return &net.UDPAddr{IP: ip, Port: port}, nil
}

// hostPortOf reads a (host, port) tuple.
func hostPortOf(fnname, param string, v starlark.Value) (string, int, error) {
	t, ok := v.(starlark.Tuple)
	if !ok || len(t) < 2 {
		return "", 0, typeErrorf("%s: for parameter %s: got %s, want a (host, port) tuple", fnname, param, v.Type())
	}
	host, ok := t[0].(starlark.String)
	if !ok {
		return "", 0, typeErrorf("%s: for parameter %s: host is %s, want string", fnname, param, t[0].Type())
	}
	var port int
	if err := starlark.AsInt(t[1], &port); err != nil {
		return "", 0, typeErrorf("%s: for parameter %s: port is %s, want int", fnname, param, t[1].Type())
	}
	if port < 0 || port > 65535 {
		return "", 0, valueErrorf("%s: for parameter %s: port %d out of range 0-65535", fnname, param, port)
	}
	return string(host), port, nil
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
	e *Env
	s *transports.Server
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

var serverAttrNames = []string{"abort_clients", "close", "close_clients", "is_serving", "sockets", "start_serving", "wait_closed"}

func (sv *serverValue) AttrNames() []string { return serverAttrNames }

func (sv *serverValue) Attr(name string) (starlark.Value, error) {
	var fn func() (starlark.Value, error)
	switch name {
	case "sockets":
		socks := sv.s.Sockets()
		list := make([]starlark.Value, len(socks))
		for i, s := range socks {
			list[i] = &socketValue{s: s}
		}
		return starlark.NewList(list), nil
	case "close":
		fn = func() (starlark.Value, error) {
			sv.s.Close()
			delete(sv.e.servers, sv.s)
			return starlark.None, nil
		}
	case "is_serving":
		fn = func() (starlark.Value, error) { return starlark.Bool(sv.s.IsServing()), nil }
	case "start_serving":
		fn = func() (starlark.Value, error) {
			if err := sv.s.StartServing(); err != nil {
				return nil, failWith(NewErrorValue(err))
			}
			return starlark.None, nil
		}
	case "close_clients":
		fn = func() (starlark.Value, error) { sv.s.CloseClients(); return starlark.None, nil }
	case "abort_clients":
		fn = func() (starlark.Value, error) { sv.s.AbortClients(); return starlark.None, nil }
	case "wait_closed":
		fn = func() (starlark.Value, error) { return sv.e.futureValue(sv.s.WaitClosed()), nil }
	default:
		return nil, noAttr(sv, name)
	}
	return starlark.NewBuiltin(name, func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		if err := noArgs("server."+name, args, kwargs); err != nil {
			return nil, err
		}
		return fn()
	}), nil
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

var socketAttrNames = []string{"family", "fileno", "getpeername", "getsockname", "type"}

func (sv *socketValue) AttrNames() []string { return socketAttrNames }

func (sv *socketValue) Attr(name string) (starlark.Value, error) {
	var fn func() starlark.Value
	switch name {
	case "family":
		return starlark.MakeInt(sv.s.Family()), nil
	case "type":
		return starlark.MakeInt(sv.s.Type()), nil
	case "fileno":
		fn = func() starlark.Value { return starlark.MakeInt(sv.s.Fileno()) }
	case "getsockname":
		fn = func() starlark.Value { return addrValue(sv.s.Getsockname()) }
	case "getpeername":
		fn = func() starlark.Value { return addrValue(sv.s.Getpeername()) }
	default:
		return nil, noAttr(sv, name)
	}
	return starlark.NewBuiltin(name, func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		if err := noArgs("socket."+name, args, kwargs); err != nil {
			return nil, err
		}
		return fn(), nil
	}), nil
}

// goFactoryValue is a Go ProtocolFactory as a Starlark value (GoFactory).
type goFactoryValue struct {
	f transports.ProtocolFactory
}

var _ starlark.Callable = (*goFactoryValue)(nil)

func (g *goFactoryValue) Name() string          { return "go_factory" }
func (g *goFactoryValue) String() string        { return "<go protocol factory>" }
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

func (g *goProtocolValue) String() string        { return fmt.Sprintf("<go protocol %T>", g.p) }
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
