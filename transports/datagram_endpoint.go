package transports

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"github.com/starnet-dev/starnet/loop"
	"golang.org/x/sys/unix"
)

// dgramEndpoint is one CreateDatagramEndpoint in progress: resolve the
// addresses, then try each address family that has every address asked for,
// as asyncio's create_datagram_endpoint. The operation keeps the loop alive
// until it ends.
type dgramEndpoint struct {
	l       *loop.Loop
	fut     *loop.Future
	factory ProtocolFactory
	opts    DatagramOptions
	network string // "udp" or "unixgram", for Check
	family  int    // AF_INET or AF_INET6 for "udp4"/"udp6", else 0

	locals, remotes []netip.AddrPort

	// The destination the transport keeps.
	remote    net.Addr
	remoteSA  unix.Sockaddr
	connected bool
	check     AddrCheck

	finished bool
}

// dgramCandidate is one socket to try: a family and its addresses.
type dgramCandidate struct {
	family        int
	local, remote *netip.AddrPort
}

// createDatagramEndpoint is CreateDatagramEndpoint.
func createDatagramEndpoint(l *loop.Loop, factory ProtocolFactory, opts DatagramOptions) *loop.Future {
	ep := &dgramEndpoint{l: l, fut: l.NewFuture(), factory: factory, opts: opts, check: opts.Check}
	switch opts.Network {
	case "", "udp":
		ep.network = "udp"
	case "udp4":
		ep.network, ep.family = "udp", unix.AF_INET
	case "udp6":
		ep.network, ep.family = "udp", unix.AF_INET6
	case "unix", "unixgram":
		ep.network = "unixgram"
	default:
		_ = ep.fut.SetException(NewError(KindValueError, fmt.Sprintf("unknown network %q: want \"udp\", \"udp4\", \"udp6\" or \"unix\"", opts.Network)))
		return ep.fut
	}
	if ep.network == "udp" && ep.family == 0 && opts.LocalAddr == "" && opts.RemoteAddr == "" {
		_ = ep.fut.SetException(NewError(KindValueError, "unexpected address family: give local_addr or remote_addr"))
		return ep.fut
	}
	l.Ref()
	if ep.network == "unixgram" {
		l.CallSoon(ep.startUnix)
	} else {
		l.CallSoon(ep.startUDP)
	}
	return ep.fut
}

// ---- UDP ----

// startUDP resolves the local address, then the remote one, then tries the
// sockets.
func (ep *dgramEndpoint) startUDP() {
	ep.resolve(ep.opts.LocalAddr, "local_addr", true, func(local []netip.AddrPort) {
		ep.locals = local
		ep.resolve(ep.opts.RemoteAddr, "remote_addr", false, func(remote []netip.AddrPort) {
			ep.remotes = remote
			ep.tryCandidates(ep.candidates())
		})
	})
}

// resolve resolves a "host:port" address ("" gives nothing) and calls next
// with its addresses, or fails the operation.
func (ep *dgramEndpoint) resolve(hostport, param string, passive bool, next func([]netip.AddrPort)) {
	if ep.fut.Done() {
		ep.finish()
		return
	}
	if hostport == "" {
		next(nil)
		return
	}
	host, port, e := splitHostPort(hostport, param)
	if e != nil {
		ep.fail(e)
		return
	}
	lookupHost(ep.l, host, passive, func(ips []netip.Addr, e error) {
		if ep.fut.Done() {
			ep.finish()
			return
		}
		if e != nil {
			ep.fail(e)
			return
		}
		addrs := make([]netip.AddrPort, 0, len(ips))
		for _, ip := range ips {
			addrs = append(addrs, netip.AddrPortFrom(ip, uint16(port)))
		}
		if len(addrs) == 0 {
			ep.fail(NewError(KindOSError, "getaddrinfo() returned empty list"))
			return
		}
		next(addrs)
	})
}

// candidates pairs the local and remote addresses by family, in the order
// the families first appear, keeping only families that have every address
// asked for (asyncio's addr_pairs_info).
func (ep *dgramEndpoint) candidates() []dgramCandidate {
	var out []dgramCandidate
	index := map[int]int{}
	add := func(ap netip.AddrPort, remote bool) {
		family, _ := ipSockaddr(ap.Addr(), 0)
		if ep.family != 0 && family != ep.family {
			return
		}
		i, ok := index[family]
		if !ok {
			i = len(out)
			index[family] = i
			out = append(out, dgramCandidate{family: family})
		}
		c := &out[i]
		if remote && c.remote == nil {
			c.remote = &ap
		} else if !remote && c.local == nil {
			c.local = &ap
		}
	}
	for _, ap := range ep.locals {
		add(ap, false)
	}
	for _, ap := range ep.remotes {
		add(ap, true)
	}
	if len(out) == 0 && ep.family != 0 {
		out = append(out, dgramCandidate{family: ep.family})
	}
	kept := out[:0]
	for _, c := range out {
		if (ep.opts.LocalAddr != "" && c.local == nil) || (ep.opts.RemoteAddr != "" && c.remote == nil) {
			continue
		}
		kept = append(kept, c)
	}
	return kept
}

// tryCandidates makes a socket for each candidate in turn until one works;
// when none does, the first error fails the operation.
func (ep *dgramEndpoint) tryCandidates(cands []dgramCandidate) {
	if len(cands) == 0 {
		ep.fail(NewError(KindValueError, "can not get address information"))
		return
	}
	var first error
	for _, c := range cands {
		if e := ep.vetCandidate(c); e != nil {
			ep.fail(e) // a denied address ends the operation
			return
		}
		fd, e := ep.openUDP(c)
		if e == nil {
			ep.succeed(fd, c.family)
			return
		}
		if first == nil {
			first = e
		}
	}
	ep.fail(first)
}

// vetCandidate calls opts.Check on a candidate's addresses.
func (ep *dgramEndpoint) vetCandidate(c dgramCandidate) error {
	if c.local != nil {
		if e := ep.vet(net.UDPAddrFromAddrPort(*c.local)); e != nil {
			return e
		}
	}
	if c.remote != nil {
		if e := ep.vet(net.UDPAddrFromAddrPort(*c.remote)); e != nil {
			return e
		}
	}
	return nil
}

// openUDP creates, binds and connects one socket.
func (ep *dgramEndpoint) openUDP(c dgramCandidate) (int, error) {
	fd, err := sysSocket(c.family, unix.SOCK_DGRAM, 0)
	if err != nil {
		return -1, MapError(err)
	}
	if e := ep.setOptions(fd, c.family); e != nil {
		closeFD(fd)
		return -1, e
	}
	if c.local != nil {
		_, sa := ipSockaddr(c.local.Addr(), int(c.local.Port()))
		if err := unix.Bind(fd, sa); err != nil {
			closeFD(fd)
			return -1, MapError(err)
		}
	}
	if c.remote != nil {
		_, sa := ipSockaddr(c.remote.Addr(), int(c.remote.Port()))
		if e := ep.setRemote(fd, net.UDPAddrFromAddrPort(*c.remote), sa); e != nil {
			closeFD(fd)
			return -1, e
		}
	}
	return fd, nil
}

// setOptions sets SO_REUSEPORT and SO_BROADCAST as asked.
func (ep *dgramEndpoint) setOptions(fd, family int) error {
	inet := family == unix.AF_INET || family == unix.AF_INET6
	if ep.opts.ReusePort && inet {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
			return MapError(err)
		}
	}
	if ep.opts.AllowBroadcast && inet {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_BROADCAST, 1); err != nil {
			return MapError(err)
		}
	}
	return nil
}

// setRemote records the remote address and connects to it, unless
// broadcasting is allowed (asyncio leaves such a socket unconnected so that
// it can send to other addresses too; sends without an address still go to
// the remote address).
func (ep *dgramEndpoint) setRemote(fd int, addr net.Addr, sa unix.Sockaddr) error {
	if !ep.opts.AllowBroadcast {
		for {
			err := unix.Connect(fd, sa)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				return MapError(err)
			}
			break
		}
		ep.connected = true
	}
	ep.remote, ep.remoteSA = addr, sa
	return nil
}

// vet calls opts.Check on addr.
func (ep *dgramEndpoint) vet(addr net.Addr) error {
	if ep.check == nil {
		return nil
	}
	if err := ep.check(ep.network, addr); err != nil {
		return MapError(err)
	}
	return nil
}

// ---- Unix ----

// startUnix makes a Unix datagram socket: bound to LocalAddr (a stale socket
// file there is removed first, as asyncio does) and connected to
// RemoteAddr, each if given.
func (ep *dgramEndpoint) startUnix() {
	if ep.fut.Done() {
		ep.finish()
		return
	}
	var localAddr, remoteAddr *net.UnixAddr
	if p := ep.opts.LocalAddr; p != "" {
		localAddr = &net.UnixAddr{Name: p, Net: "unixgram"}
		if e := ep.vet(localAddr); e != nil {
			ep.fail(e)
			return
		}
	}
	if p := ep.opts.RemoteAddr; p != "" {
		remoteAddr = &net.UnixAddr{Name: p, Net: "unixgram"}
		if e := ep.vet(remoteAddr); e != nil {
			ep.fail(e)
			return
		}
	}
	fd, err := sysSocket(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
	if err != nil {
		ep.fail(MapError(err))
		return
	}
	if localAddr != nil {
		if p := localAddr.Name; p[0] != 0 && p[0] != '@' {
			removeStaleSocket(p)
		}
		if err := unix.Bind(fd, &unix.SockaddrUnix{Name: localAddr.Name}); err != nil {
			closeFD(fd)
			ep.fail(MapError(err))
			return
		}
	}
	if remoteAddr != nil {
		if e := ep.setRemote(fd, remoteAddr, &unix.SockaddrUnix{Name: remoteAddr.Name}); e != nil {
			closeFD(fd)
			ep.fail(e)
			return
		}
	}
	ep.succeed(fd, unix.AF_UNIX)
}

// ---- the end ----

// succeed makes the protocol and the transport on fd. The Future is resolved
// by the transport once ConnectionMade has run.
func (ep *dgramEndpoint) succeed(fd, family int) {
	defer ep.finish()
	if ep.fut.Done() {
		closeFD(fd)
		return
	}
	p, err := callFactory(ep.factory)
	if err != nil {
		closeFD(fd)
		_ = ep.fut.SetException(err)
		return
	}
	if _, ok := p.(DatagramProtocol); !ok {
		closeFD(fd)
		_ = ep.fut.SetException(NewError(KindTypeError, fmt.Sprintf("protocol factory returned %T, which is not a DatagramProtocol", p)))
		return
	}
	newDatagramTransport(ep.l, fd, family, p, ep, ep.fut)
}

// fail ends the operation with e.
func (ep *dgramEndpoint) fail(e error) {
	if !ep.fut.Done() {
		_ = ep.fut.SetException(e)
	}
	ep.finish()
}

// finish releases the loop reference, once.
func (ep *dgramEndpoint) finish() {
	if !ep.finished {
		ep.finished = true
		ep.l.Unref()
	}
}

// splitHostPort parses "host:port" (an IPv6 host in brackets) for the
// parameter param.
func splitHostPort(hostport, param string) (string, int, error) {
	host, portStr, err := net.SplitHostPort(hostport)
	if err != nil {
		return "", 0, NewError(KindValueError, fmt.Sprintf("%s %q: %v", param, hostport, err))
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return "", 0, NewError(KindValueError, fmt.Sprintf("%s %q: bad port", param, hostport))
	}
	if e := checkPort(port); e != nil {
		return "", 0, e
	}
	return host, port, nil
}
