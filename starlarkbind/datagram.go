package starlarkbind

import (
	"net"
	"strconv"

	"github.com/starnet-dev/starnet/starlarkbind/internal/bind"
	"github.com/starnet-dev/starnet/transports"
	"go.starlark.net/starlark"
)

// Datagram endpoints (API.md "Protocols" datagram protocols, "Transports" DatagramTransport,
// "The loop" create_datagram_endpoint).
//
// Addresses are (host, port) tuples for UDP and path strings for Unix
// datagram sockets ("@name" for a Linux abstract socket). sendto takes a
// literal IP address (no name lookup happens on a send).
//
// Permissions: for UDP, --allow-net must allow the local address (an empty
// host means "0.0.0.0"), the remote address, and every destination of
// sendto; names are checked as for create_connection, and again for each
// address they resolve to. For Unix datagram sockets the paths are file
// access, as for Unix stream sockets: binding local_addr needs
// --allow-write, and remote_addr and every sendto destination need
// --allow-read and --allow-write.

// Datagram callback names.
const (
	cbDatagramReceived = "datagram_received"
	cbErrorReceived    = "error_received"
)

// datagramAdapter makes a Starlark protocol object a
// transports.DatagramProtocol. A failing datagram_received or
// error_received is reported and the endpoint keeps serving, as in asyncio.
//
// Hot path: the sender's address value is reused while the sender stays the
// same (an echo server answering one peer), and a Starlark function gets a
// reused argument tuple (it copies its arguments on entry).
type datagramAdapter struct {
	adapter
	lastAddr net.Addr       // a private copy of the last sender's address
	lastVal  starlark.Value // its value
	scratch  [3]starlark.Value
}

var _ transports.DatagramProtocol = (*datagramAdapter)(nil)

// DatagramReceived calls datagram_received(data, addr): addr is a
// (host, port) tuple, a path, or None for an unbound Unix sender.
func (d *datagramAdapter) DatagramReceived(data []byte, addr net.Addr) {
	fn, self := d.lookup(cbDatagramReceived)
	if missing(fn) {
		return
	}
	var args starlark.Tuple
	_, function := fn.(*starlark.Function)
	if function {
		args = d.scratch[:0]
	}
	if self != nil {
		args = append(args, self)
	}
	args = append(args, starlark.Bytes(data), d.addrValue(addr))
	_, err := d.e.call(fn, args)
	if function {
		d.scratch = [3]starlark.Value{} // drop the data at once
	}
	if err != nil {
		d.failed(cbDatagramReceived, err, false)
	}
}

// addrValue converts a sender's address, reusing the last value while the
// sender stays the same.
func (d *datagramAdapter) addrValue(addr net.Addr) starlark.Value {
	if d.lastVal != nil && sameDatagramAddr(addr, d.lastAddr) {
		return d.lastVal
	}
	v := addrValue(addr)
	switch a := addr.(type) {
	case *net.UDPAddr:
		if a != nil {
			d.lastAddr = &net.UDPAddr{IP: append(net.IP(nil), a.IP...), Port: a.Port, Zone: a.Zone}
			d.lastVal = v
		}
	case *net.UnixAddr:
		if a != nil {
			d.lastAddr = &net.UnixAddr{Name: a.Name, Net: a.Net}
			d.lastVal = v
		}
	}
	return v
}

// sameDatagramAddr reports whether a (from the transport) equals b (a
// copy); nil addresses are never the same.
func sameDatagramAddr(a, b net.Addr) bool {
	switch x := a.(type) {
	case *net.UDPAddr:
		y, ok := b.(*net.UDPAddr)
		return ok && x != nil && x.Port == y.Port && x.IP.Equal(y.IP) && x.Zone == y.Zone
	case *net.UnixAddr:
		y, ok := b.(*net.UnixAddr)
		return ok && x != nil && x.Name == y.Name
	}
	return false
}

// ErrorReceived calls error_received(exc) with an error value.
func (d *datagramAdapter) ErrorReceived(err error) {
	var exc starlark.Value = starlark.None
	if ev := NewErrorValue(err); ev != nil {
		exc = ev
	}
	if found, cerr := d.callNamed(cbErrorReceived, exc); found && cerr != nil {
		d.failed(cbErrorReceived, cerr, false)
	}
}

// callNamed calls the callback name with args (the instance first for a
// protocol instance's method). found is false when there is no such
// callback.
func (a *adapter) callNamed(name string, args ...starlark.Value) (found bool, err error) {
	fn, self := a.lookup(name)
	if missing(fn) {
		return false, nil
	}
	if self != nil {
		full := make(starlark.Tuple, 0, len(args)+1)
		full = append(full, self)
		args = append(full, args...)
	}
	_, err = a.e.call(fn, args)
	return true, err
}

// goDatagram keeps a Go DatagramProtocol a DatagramProtocol while the env
// tracks its transport.
type goDatagram struct {
	*goBase
	p transports.DatagramProtocol
}

func (g goDatagram) DatagramReceived(data []byte, addr net.Addr) { g.p.DatagramReceived(data, addr) }
func (g goDatagram) ErrorReceived(err error)                     { g.p.ErrorReceived(err) }

// ---- loop.create_datagram_endpoint ----

// dgramArgs are create_datagram_endpoint's parsed addresses.
type dgramArgs struct {
	unix          bool // the addresses are paths
	local, remote dgramAddr
}

// dgramAddr is one address argument.
type dgramAddr struct {
	given bool
	host  string // the host, or the path
	port  int
}

// hostport is the address as transports.DatagramOptions wants it.
func (a dgramAddr) hostport(unixPath bool) string {
	if !a.given {
		return ""
	}
	if unixPath {
		return a.host
	}
	return net.JoinHostPort(a.host, strconv.Itoa(a.port))
}

func (lv *loopValue) createDatagramEndpoint(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var factoryA factoryArg
	var local, remote bind.SockAddr
	var reusePort, broadcast bind.OptionalBool
	if err := unpack(fnname, args, kwargs, "protocol_factory", &factoryA,
		"local_addr?", &local, "remote_addr?", &remote,
		"reuse_port?", &reusePort, "allow_broadcast?", &broadcast); err != nil {
		return nil, err
	}
	gate := &dgramGate{perms: lv.e.perms}
	factory, err := lv.e.kindFactory(fnname, factoryA.v, kindDatagram, gate.close)
	if err != nil {
		return nil, err
	}
	a, err := dgramAddrArgs(fnname, local, remote)
	if err != nil {
		return nil, err
	}
	opts := transports.DatagramOptions{
		Network:    "udp",
		LocalAddr:  a.local.hostport(a.unix),
		RemoteAddr: a.remote.hostport(a.unix),
	}
	if a.unix {
		opts.Network = "unix"
	}
	opts.ReusePort, opts.AllowBroadcast = reusePort.B, broadcast.B
	if err := gate.open(a); err != nil {
		return lv.failedFuture(err), nil
	}
	opts.Check = gate.check
	return lv.e.futureValue(transports.CreateDatagramEndpoint(lv.l(), factory, opts)), nil
}

// dgramAddrArgs checks local_addr and remote_addr: both (host, port)
// tuples or both paths (None for either).
func dgramAddrArgs(fnname string, local, remote bind.SockAddr) (dgramArgs, error) {
	a := dgramArgs{
		local:  dgramAddr{given: local.Set, host: local.Host, port: local.Port},
		remote: dgramAddr{given: remote.Set, host: remote.Host, port: remote.Port},
	}
	if local.Set && remote.Set && local.Path != remote.Path {
		return a, valueErrorf("%s: local_addr and remote_addr must both be (host, port) tuples or both be paths", fnname)
	}
	a.unix = local.Path || remote.Path
	return a, nil
}

// ---- permissions ----

// dgramGate enforces --allow-net (or the path permissions) on one datagram
// endpoint: its addresses are checked before anything happens (open), and
// the transports.AddrCheck (check) vets what the transport asks about —
// while the endpoint is being set up, the addresses the local and remote
// names resolved to; afterwards, every sendto destination.
type dgramGate struct {
	perms         *permissions
	unix          bool
	local, remote dgramAddr
	localAccess   netAccess
	remoteAccess  netAccess
	closed        bool // the endpoint is made: only sendto destinations remain
}

// open checks the addresses the script gave.
func (g *dgramGate) open(a dgramArgs) error {
	g.unix, g.local, g.remote = a.unix, a.local, a.remote
	if g.unix {
		if a.local.given {
			if err := g.perms.checkUnixListen(a.local.host); err != nil {
				return err
			}
		}
		if a.remote.given {
			return g.perms.checkUnixConnect(a.remote.host)
		}
		return nil
	}
	var err error
	if a.local.given {
		if g.localAccess, err = g.perms.checkNet(bindHost(a.local.host), a.local.port); err != nil {
			return err
		}
	}
	if a.remote.given {
		if g.remoteAccess, err = g.perms.checkConnect(a.remote.host, a.remote.port); err != nil {
			return err
		}
	}
	return nil
}

// bindHost is the host a bind to host means: "" is every interface.
func bindHost(host string) string {
	if host == "" {
		return "0.0.0.0"
	}
	return host
}

// close ends the setup: from now on only sendto destinations are vetted.
// It runs when the protocol factory is called, which the transports do
// once the socket is bound and connected.
func (g *dgramGate) close() { g.closed = true }

// check is the endpoint's transports.AddrCheck.
func (g *dgramGate) check(network string, addr net.Addr) error {
	switch a := addr.(type) {
	case *net.UDPAddr:
		return g.checkUDP(a)
	case *net.UnixAddr:
		return g.checkUnix(a.Name)
	}
	return transports.NewError(transports.KindTypeError, "unexpected address "+addr.String())
}

// checkUDP allows an address that --allow-net allows as it is, or, during
// setup, an address the local or remote name (allowed as a name) resolved
// to.
func (g *dgramGate) checkUDP(a *net.UDPAddr) error {
	host := a.IP.String()
	if g.closed {
		// A sendto destination: 0.0.0.0 and :: reach loopback.
		_, err := g.perms.checkConnect(host, a.Port)
		return err
	}
	if access, _ := g.perms.checkNet(host, a.Port); access == netAllowed {
		return nil
	}
	if g.nameAllowed(a.Port) {
		return nil
	}
	// Name the address as the script gave it.
	for _, ep := range []dgramAddr{g.local, g.remote} {
		if ep.given && ep.port == a.Port {
			return netDenied(ep.host, a.Port)
		}
	}
	return netDenied(host, a.Port)
}

// nameAllowed reports whether the setup address with port was allowed by
// its name. When the local and remote addresses share the port and only one
// was allowed by name, the resolved address must be allowed itself.
func (g *dgramGate) nameAllowed(port int) bool {
	allowed := false
	for _, ep := range []struct {
		addr   dgramAddr
		access netAccess
	}{{g.local, g.localAccess}, {g.remote, g.remoteAccess}} {
		if !ep.addr.given || ep.addr.port != port {
			continue
		}
		if ep.access != netAllowed {
			return false
		}
		allowed = true
	}
	return allowed
}

// checkUnix allows the paths open checked, during setup, and afterwards
// every destination the script may connect to.
func (g *dgramGate) checkUnix(path string) error {
	if !g.closed && (g.local.given && path == g.local.host || g.remote.given && path == g.remote.host) {
		return nil
	}
	return g.perms.checkUnixConnect(path)
}
