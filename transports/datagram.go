package transports

import (
	"fmt"
	"net"

	"github.com/starnet-dev/starnet/loop"
	"golang.org/x/sys/unix"
)

// datagramHeaderSize is what each queued datagram adds to the write-buffer
// size on top of its payload, as asyncio's _SelectorDatagramTransport
// (_header_size): empty datagrams count too.
const datagramHeaderSize = 8

// maxDatagramsPerEvent bounds how many datagrams one readiness event
// delivers before other callbacks get their turn (libuv reads up to 32).
const maxDatagramsPerEvent = 16

// datagramTransport is a UDP or Unix datagram endpoint, asyncio's
// _SelectorDatagramTransport. SendTo tries the system call at once and queues
// only what the kernel refused with EAGAIN, in order; the queue drives the
// protocol's flow control. Send and receive errors (an ICMP refusal, ...) go
// to ErrorReceived and the endpoint stays open. It never starts a goroutine.
type datagramTransport struct {
	// writeSide holds the loop, the descriptor, the protocol, flow control
	// and the closing state; its writer goes to the loop's poller.
	writeSide

	family    int
	sock      *Socket
	network   string // "udp" or "unixgram", for check
	check     AddrCheck
	remote    net.Addr      // the fixed destination (remote_addr), or nil
	remoteSA  unix.Sockaddr // remote as the kernel wants it
	connected bool          // the socket is connected to remote
	peername  net.Addr      // the connected peer's address, else nil
	sockname  net.Addr

	dgram DatagramProtocol // protocol as a DatagramProtocol, or nil

	queue   []queuedDatagram // queue[head:] wait for the kernel
	head    int
	bufSize int // payloads plus datagramHeaderSize each

	// The last source address received, reused while the peer stays the
	// same, and the last destination converted for SendTo.
	src     datagramSource
	lastDst net.Addr      // a private copy
	lastSA  unix.Sockaddr // lastDst's kernel form

	onReadable func()
}

// queuedDatagram is a datagram the kernel refused for now.
type queuedDatagram struct {
	data []byte
	sa   unix.Sockaddr // nil on a connected socket
}

var (
	_ DatagramTransport = (*datagramTransport)(nil)
	_ ForceCloser       = (*datagramTransport)(nil)
)

// newDatagramTransport wraps fd, a non-blocking datagram socket, and takes
// ownership of it. remote is the fixed destination, if any; connected says
// the socket is connected to it.
func newDatagramTransport(l *loop.Loop, fd, family int, p BaseProtocol, ep *dgramEndpoint, waiter *loop.Future) *datagramTransport {
	t := &datagramTransport{
		family:   family,
		sock:     newSocket(fd, family, unix.SOCK_DGRAM),
		network:  ep.network,
		check:    ep.check,
		remote:   ep.remote,
		remoteSA: ep.remoteSA,
	}
	t.writeSide.init(t, l, fd)
	t.onReadable = t.readReady
	t.sockname = t.sock.Getsockname()
	if ep.connected {
		t.connected = true
		t.peername = t.sock.Getpeername()
	}
	t.SetProtocol(p)
	connectSoon(l, t, p, t.startReading, waiter)
	return t
}

// String describes the transport as asyncio's repr does.
func (t *datagramTransport) String() string {
	return fmt.Sprintf("<datagram transport%s fd=%d write=<%s, bufsize=%d>>",
		reprState(t.released, t.closing), t.sock.Fileno(), reprPolling(t.writing), t.bufSize)
}

// ---- BaseTransport ----

// Close stops receiving at once, sends what is queued, then closes:
// ConnectionLost(nil) follows on a later iteration. Closing twice is a
// no-op.
func (t *datagramTransport) Close() {
	if t.closing {
		return
	}
	t.closing = true
	t.l.RemoveReader(t.fd)
	if t.queueLen() == 0 {
		t.stopWriting()
		t.scheduleConnectionLost(t.l, t, nil)
	}
}

// Abort closes at once, dropping what is buffered; ConnectionLost(nil)
// follows on a later iteration.
func (t *datagramTransport) Abort() { t.ForceClose(nil) }

// GetExtraInfo returns "peername" (*net.UDPAddr or *net.UnixAddr, for a
// connected endpoint), "sockname" or "socket" (*Socket); nil otherwise.
func (t *datagramTransport) GetExtraInfo(name string) any {
	switch name {
	case "peername":
		if t.peername != nil {
			return t.peername
		}
	case "sockname":
		if t.sockname != nil {
			return t.sockname
		}
	case "socket":
		return t.sock
	}
	return nil
}

// SetProtocol switches the protocol.
func (t *datagramTransport) SetProtocol(p BaseProtocol) {
	t.protocol = p
	t.dgram, _ = p.(DatagramProtocol)
}

// ---- receiving ----

func (t *datagramTransport) startReading() {
	if t.closing {
		return
	}
	if err := t.l.AddReader(t.fd, t.onReadable); err != nil {
		t.fatalError(err, "Fatal error on datagram transport")
	}
}

// readReady receives up to maxDatagramsPerEvent datagrams, each whole (up to
// the loop's 256 KiB read buffer; longer ones are truncated, as asyncio's
// max_size). A receive error, such as the ConnectionRefusedError an ICMP
// port-unreachable leaves on a connected socket, goes to ErrorReceived.
func (t *datagramTransport) readReady() {
	buf := t.l.ReadBuffer()
	for i := 0; i < maxDatagramsPerEvent && !t.closing; i++ {
		n, from, err := t.src.recvfrom(t.fd, buf)
		if err != nil {
			if err != unix.EAGAIN && err != unix.EINTR {
				t.errorReceived(err)
			}
			return
		}
		t.deliverDatagram(buf[:n], from)
	}
}

// deliverDatagram calls DatagramReceived. As in asyncio, a failure there is
// reported and the endpoint keeps serving.
func (t *datagramTransport) deliverDatagram(data []byte, addr net.Addr) {
	p := t.protocol
	defer recoverAndReport(t.l, t, p, callbackDatagramReceived)
	if t.dgram == nil {
		panic(NewError(KindTypeError, fmt.Sprintf("protocol %T is not a DatagramProtocol", p)))
	}
	t.dgram.DatagramReceived(data, addr)
}

// errorReceived calls ErrorReceived; a failure there is reported.
func (t *datagramTransport) errorReceived(err error) {
	p := t.protocol
	defer recoverAndReport(t.l, t, p, callbackErrorReceived)
	if t.dgram != nil {
		t.dgram.ErrorReceived(MapError(err))
	}
}

// ---- sending ----

// SendTo sends data as one datagram to addr (nil: the remote address). An
// empty datagram is sent too. The system call is tried at once when nothing
// is queued; if the kernel refuses with EAGAIN the datagram (a copy) is
// queued and sent, in order, when the socket is writable. A send error goes
// to ErrorReceived. SendTo itself fails with a ValueError when the endpoint
// has a remote address and addr is another one, or when it has none and addr
// is nil; with a TypeError for an address of the wrong kind; and with the
// error of the AddrCheck the endpoint was made with, which vets every
// destination. Sending on a lost endpoint is ignored; on one that is
// closing while datagrams are still queued, the datagram is queued too.
func (t *datagramTransport) SendTo(data []byte, addr net.Addr) error {
	sa, e := t.destination(addr)
	if e != nil {
		return e
	}
	if t.lost {
		t.ignoreWrite()
		return nil
	}
	// Closing but not lost: datagrams are still queued, and this one joins
	// them (asyncio's sendto checks _conn_lost, not _closing).
	if t.queueLen() == 0 {
		err := t.send(data, sa)
		if err == nil {
			return nil
		}
		if err != unix.EAGAIN && err != unix.EINTR {
			t.errorReceived(err)
			return nil
		}
		if err := t.startWriting(); err != nil {
			t.fatalError(err, "Fatal write error on datagram transport")
			return nil
		}
	}
	t.enqueue(data, sa)
	t.flow.maybePause(t.l, t.bufSize, t, t.protocol)
	return nil
}

// destination checks addr and returns its kernel form (nil for the connected
// peer).
func (t *datagramTransport) destination(addr net.Addr) (unix.Sockaddr, error) {
	if t.remote != nil {
		if !isNilAddr(addr) && !sameAddr(addr, t.remote) {
			return nil, NewError(KindValueError, "Invalid address: must be None or "+PyAddr(t.remote))
		}
		if t.connected {
			return nil, nil
		}
		return t.remoteSA, nil
	}
	if isNilAddr(addr) {
		return nil, NewError(KindValueError, "sendto(): addr is required: the endpoint has no remote address")
	}
	sa, e := t.sockaddr(addr)
	if e != nil {
		return nil, e
	}
	if t.check != nil {
		if err := t.check(t.network, addr); err != nil {
			return nil, MapError(err)
		}
	}
	return sa, nil
}

// sockaddr converts a destination, reusing the last conversion when the
// address is the same (an echo server answering one peer).
func (t *datagramTransport) sockaddr(addr net.Addr) (unix.Sockaddr, error) {
	if t.lastDst != nil && sameAddr(addr, t.lastDst) {
		return t.lastSA, nil
	}
	sa, e := dgramSockaddr(t.family, addr)
	if e != nil {
		return nil, e
	}
	t.lastDst, t.lastSA = copyAddr(addr), sa
	return sa, nil
}

// copyAddr returns a copy of a datagram address that its owner cannot
// change.
func copyAddr(addr net.Addr) net.Addr {
	switch a := addr.(type) {
	case *net.UDPAddr:
		return &net.UDPAddr{IP: append(net.IP(nil), a.IP...), Port: a.Port, Zone: a.Zone}
	case *net.UnixAddr:
		c := *a
		return &c
	}
	return nil
}

// send makes one send system call.
func (t *datagramTransport) send(data []byte, sa unix.Sockaddr) error {
	return unix.Sendto(t.fd, data, 0, sa)
}

// writeReady sends the queue in order until the kernel refuses again. As
// asyncio, a send error goes to ErrorReceived and the rest waits for the next
// writable event. Once the queue is empty the protocol's writing is resumed
// and a pending Close completes.
func (t *datagramTransport) writeReady() {
	if t.lost {
		return
	}
	for t.queueLen() > 0 {
		d := t.queue[t.head]
		err := t.send(d.data, d.sa)
		if err == unix.EAGAIN || err == unix.EINTR {
			break
		}
		t.dequeue()
		if err != nil {
			t.errorReceived(err)
			return
		}
	}
	t.flow.maybeResume(t.l, t.bufSize, t, t.protocol) // may send or close
	if t.queueLen() > 0 || t.lost {
		return
	}
	t.stopWriting()
	if t.closing {
		t.connectionLostNow(t)
	}
}

func (t *datagramTransport) queueLen() int { return len(t.queue) - t.head }

func (t *datagramTransport) enqueue(data []byte, sa unix.Sockaddr) {
	t.queue = append(t.queue, queuedDatagram{data: append([]byte(nil), data...), sa: sa})
	t.bufSize += len(data) + datagramHeaderSize
}

func (t *datagramTransport) dequeue() {
	d := &t.queue[t.head]
	t.bufSize -= len(d.data) + datagramHeaderSize
	*d = queuedDatagram{}
	t.head++
	switch {
	case t.head == len(t.queue):
		t.queue, t.head = t.queue[:0], 0
	case t.head >= 64 && 2*t.head >= len(t.queue):
		n := copy(t.queue, t.queue[t.head:])
		clear(t.queue[n:])
		t.queue, t.head = t.queue[:n], 0
	}
}

// GetWriteBufferSize returns the bytes queued: each datagram's length plus
// 8, as asyncio counts.
func (t *datagramTransport) GetWriteBufferSize() int { return t.bufSize }

// IsClosing, GetProtocol, GetWriteBufferLimits and SetWriteBufferLimits
// come from the embedded writeSide (writeside.go). The transport owns its
// close (closing.go).

// ignoreWrite counts a send on a lost endpoint with a remote address (the
// loss counted as the first, as asyncio's _conn_lost); from the fifth on
// each is reported. Sends of an endpoint without one are dropped silently.
func (t *datagramTransport) ignoreWrite() {
	if t.remote != nil {
		t.countIgnoredWrite("socket.send() raised exception.", 1)
	}
}

// ---- closing ----

// ForceClose closes at once with err, as asyncio's _force_close: it drops
// the queue, stops receiving and schedules ConnectionLost(err), unless that
// is already scheduled. A nil *Error counts as nil.
func (t *datagramTransport) ForceClose(err error) {
	err = plainNil(err)
	if t.lost {
		return
	}
	for t.queueLen() > 0 {
		t.dequeue()
	}
	t.stopWriting()
	if !t.closing {
		t.closing = true
		t.l.RemoveReader(t.fd)
	}
	t.scheduleConnectionLost(t.l, t, err)
}

// fatalError breaks the endpoint with err: reported, then closed at once.
func (t *datagramTransport) fatalError(err error, message string) {
	t.ForceClose(t.reportFatal(err, message))
}

// releaseResources closes the socket and drops every reference
// (closeState calls it once, after ConnectionLost).
func (t *datagramTransport) releaseResources() {
	t.l.RemoveReader(t.fd)
	t.stopWriting()
	closeFD(t.fd)
	t.sock.markClosed()
	t.queue, t.head, t.bufSize = nil, 0, 0
	t.protocol, t.dgram = nil, nil
	t.src = datagramSource{}
	t.lastDst, t.lastSA = nil, nil
	t.l.Unref()
}

// ---- addresses ----

// dgramSockaddr converts a destination for a socket of family: a
// *net.UDPAddr for UDP (an IPv4 address is mapped for an IPv6 socket), a
// *net.UnixAddr for a Unix socket.
func dgramSockaddr(family int, addr net.Addr) (unix.Sockaddr, error) {
	switch a := addr.(type) {
	case *net.UDPAddr:
		switch family {
		case unix.AF_INET:
			ip4 := a.IP.To4()
			if ip4 == nil {
				return nil, newErrnoError(unix.EAFNOSUPPORT, "Address family not supported by protocol: "+PyAddr(a))
			}
			return &unix.SockaddrInet4{Port: a.Port, Addr: [4]byte(ip4)}, nil
		case unix.AF_INET6:
			ip16 := a.IP.To16()
			if ip16 == nil {
				return nil, NewError(KindValueError, fmt.Sprintf("invalid IP address %q", a.IP.String()))
			}
			return &unix.SockaddrInet6{Port: a.Port, Addr: [16]byte(ip16), ZoneId: zoneIndex(a.Zone)}, nil
		}
	case *net.UnixAddr:
		if family == unix.AF_UNIX {
			return &unix.SockaddrUnix{Name: a.Name}, nil
		}
	}
	want := "a *net.UDPAddr"
	if family == unix.AF_UNIX {
		want = "a *net.UnixAddr (a path)"
	}
	return nil, NewError(KindTypeError, fmt.Sprintf("sendto(): addr must be %s, not %T", want, addr))
}

// sameAddr reports whether two datagram addresses are equal (asyncio
// compares the address tuples).
func sameAddr(a, b net.Addr) bool {
	switch x := a.(type) {
	case *net.UDPAddr:
		y, ok := b.(*net.UDPAddr)
		return ok && x.Port == y.Port && x.IP.Equal(y.IP) && x.Zone == y.Zone
	case *net.UnixAddr:
		y, ok := b.(*net.UnixAddr)
		return ok && x.Name == y.Name
	}
	return false
}

// isNilAddr reports whether addr is nil, or a nil pointer in an interface.
func isNilAddr(addr net.Addr) bool {
	switch a := addr.(type) {
	case nil:
		return true
	case *net.UDPAddr:
		return a == nil
	case *net.UnixAddr:
		return a == nil
	}
	return false
}
