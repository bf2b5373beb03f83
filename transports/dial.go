package transports

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"syscall"

	"github.com/starnet-dev/starnet/loop"
	"golang.org/x/sys/unix"
)

// dialTarget is one address to connect to.
type dialTarget struct {
	family int
	sa     unix.Sockaddr
	addr   net.Addr
}

// dialOp is one create_connection in progress: resolution, then connection
// attempts, one after another or staggered (RFC 8305 happy eyeballs, as
// asyncio's staggered_race). The first attempt to connect wins and the others
// are closed. The operation keeps the loop alive until it ends.
type dialOp struct {
	l        *loop.Loop
	fut      *loop.Future
	factory  ProtocolFactory
	network  string // "tcp" or "unix", for Check
	opts     DialOptions
	targets  []dialTarget
	locals   []dialTarget // LocalAddr's addresses, if set
	next     int          // index of the next target to try
	inflight []*dialAttempt
	errs     []*Error
	timer    *loop.Handle
	done     bool // a winner was chosen, or the operation failed or was cancelled
	finished bool // the loop reference was released
}

// dialAttempt is one socket connecting to one target.
type dialAttempt struct {
	op     *dialOp
	fd     int
	target dialTarget
}

// createConnection is CreateConnection.
func createConnection(l *loop.Loop, factory ProtocolFactory, host string, port int, opts DialOptions) *loop.Future {
	op := newDialOp(l, factory, "tcp", opts)
	if err := checkPort(port); err != nil {
		op.fail(err)
		return op.fut
	}
	l.CallSoon(func() {
		lookupHost(l, host, false, func(ips []netip.Addr, err error) {
			if op.done {
				return
			}
			if err != nil {
				op.fail(err)
				return
			}
			op.targets = tcpTargets(ips, port)
			if opts.HappyEyeballsDelay > 0 {
				op.targets = interleaveByFamily(op.targets)
			}
			op.resolveLocal()
		})
	})
	return op.fut
}

// createUnixConnection is CreateUnixConnection.
func createUnixConnection(l *loop.Loop, factory ProtocolFactory, path string, opts DialOptions) *loop.Future {
	op := newDialOp(l, factory, "unix", opts)
	op.opts.LocalAddr, op.opts.HappyEyeballsDelay = "", 0
	if path == "" {
		op.fail(NewError(KindValueError, "path must not be empty"))
		return op.fut
	}
	op.targets = []dialTarget{{family: unix.AF_UNIX, sa: &unix.SockaddrUnix{Name: path}, addr: &net.UnixAddr{Name: path, Net: "unix"}}}
	l.CallSoon(op.startNext)
	return op.fut
}

func newDialOp(l *loop.Loop, factory ProtocolFactory, network string, opts DialOptions) *dialOp {
	op := &dialOp{l: l, fut: l.NewFuture(), factory: factory, network: network, opts: opts}
	l.Ref()
	op.fut.AddDoneCallback(func(f *loop.Future) {
		if f.Cancelled() {
			op.abort()
		}
	})
	return op
}

// tcpTargets makes a target per address.
func tcpTargets(ips []netip.Addr, port int) []dialTarget {
	targets := make([]dialTarget, 0, len(ips))
	for _, ip := range ips {
		family, sa := ipSockaddr(ip, port)
		targets = append(targets, dialTarget{family: family, sa: sa, addr: ipNetAddr(ip, port)})
	}
	return targets
}

// interleaveByFamily reorders targets to alternate address families, first
// family first, as asyncio's _interleave_addrinfos with interleave=1.
func interleaveByFamily(targets []dialTarget) []dialTarget {
	var order []int
	byFamily := map[int][]dialTarget{}
	for _, t := range targets {
		if _, ok := byFamily[t.family]; !ok {
			order = append(order, t.family)
		}
		byFamily[t.family] = append(byFamily[t.family], t)
	}
	out := make([]dialTarget, 0, len(targets))
	for i := 0; len(out) < len(targets); i++ {
		for _, f := range order {
			if i < len(byFamily[f]) {
				out = append(out, byFamily[f][i])
			}
		}
	}
	return out
}

// resolveLocal resolves opts.LocalAddr, if set, then starts connecting.
func (op *dialOp) resolveLocal() {
	if op.opts.LocalAddr == "" {
		op.startNext()
		return
	}
	host, portStr, err := net.SplitHostPort(op.opts.LocalAddr)
	if err != nil {
		op.fail(NewError(KindValueError, fmt.Sprintf("local_addr %q: %v", op.opts.LocalAddr, err)))
		return
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		op.fail(NewError(KindValueError, fmt.Sprintf("local_addr %q: bad port", op.opts.LocalAddr)))
		return
	}
	if e := checkPort(port); e != nil {
		op.fail(e)
		return
	}
	lookupHost(op.l, host, true, func(ips []netip.Addr, e error) {
		if op.done {
			return
		}
		if e != nil {
			op.fail(e)
			return
		}
		op.locals = tcpTargets(ips, port)
		op.startNext()
	})
}

// startNext starts attempts until one is in flight (or connected at once),
// or no target is left. With happy eyeballs, it also arms the timer that
// starts the next attempt.
func (op *dialOp) startNext() {
	for !op.done && op.next < len(op.targets) {
		target := op.targets[op.next]
		op.next++
		if op.opts.Check != nil {
			if err := op.opts.Check(op.network, target.addr); err != nil {
				op.fail(MapError(err))
				return
			}
		}
		a, connected, err := op.connect(target)
		if err != nil {
			op.errs = append(op.errs, MapError(err))
			continue
		}
		if connected {
			op.succeed(a)
			return
		}
		op.inflight = append(op.inflight, a)
		if op.opts.HappyEyeballsDelay > 0 && op.next < len(op.targets) {
			op.timer = op.l.CallLater(op.opts.HappyEyeballsDelay, op.onTimer)
		}
		return
	}
	if !op.done && len(op.inflight) == 0 {
		op.fail(op.combinedError())
	}
}

// onTimer starts the next staggered attempt.
func (op *dialOp) onTimer() {
	op.timer = nil
	op.startNext()
}

// connect creates, binds and connects a socket for target. connected says
// the connection completed at once (a Unix socket); otherwise the attempt
// waits for writability.
func (op *dialOp) connect(target dialTarget) (a *dialAttempt, connected bool, e error) {
	fd, err := sysSocket(target.family, unix.SOCK_STREAM, 0)
	if err != nil {
		return nil, false, MapError(err)
	}
	a = &dialAttempt{op: op, fd: fd, target: target}
	if op.locals != nil {
		if e := op.bindLocal(fd, target.family); e != nil {
			closeFD(fd)
			return nil, false, e
		}
	}
	switch err := unix.Connect(fd, target.sa); err {
	case nil:
		return a, true, nil
	case unix.EINPROGRESS, unix.EINTR:
		if err := op.l.AddWriter(fd, a.onWritable); err != nil {
			closeFD(fd)
			return nil, false, MapError(err)
		}
		return a, false, nil
	default:
		closeFD(fd)
		return nil, false, MapError(err)
	}
}

// bindLocal binds fd to the first local address of its family that works.
func (op *dialOp) bindLocal(fd, family int) error {
	var last error
	for _, local := range op.locals {
		if local.family != family {
			continue
		}
		err := unix.Bind(fd, local.sa)
		if err == nil {
			return nil
		}
		last = bindError(err, local.addr)
	}
	if last != nil {
		return last
	}
	return NewError(KindOSError, fmt.Sprintf("no matching local address with family=%s found", familyName(family)))
}

// bindError is asyncio's message for a failed bind.
func bindError(err error, addr net.Addr) error {
	e := MapError(err)
	return &Error{
		Kind:    e.Kind,
		Errno:   e.Errno,
		Message: fmt.Sprintf("error while attempting to bind on address %s: %s", PyAddr(addr), strings.ToLower(pyStr(e))),
		Err:     err,
	}
}

// onWritable completes a pending connect: SO_ERROR says how it went.
func (a *dialAttempt) onWritable() {
	op := a.op
	if op.done {
		return
	}
	soErr, err := unix.GetsockoptInt(a.fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err == nil && (soErr == int(unix.EINPROGRESS) || soErr == int(unix.EALREADY)) {
		return // spurious wakeup: keep waiting
	}
	op.l.RemoveWriter(a.fd)
	op.removeInflight(a)
	if err == nil && soErr == 0 {
		op.succeed(a)
		return
	}
	var e *Error
	if err != nil {
		e = MapError(err)
	} else {
		e = newErrnoError(syscall.Errno(soErr), "Connect call failed "+PyAddr(a.target.addr))
	}
	closeFD(a.fd)
	op.errs = append(op.errs, e)
	if op.timer != nil {
		op.timer.Cancel()
		op.timer = nil
	}
	op.startNext()
}

func (op *dialOp) removeInflight(a *dialAttempt) {
	for i, x := range op.inflight {
		if x == a {
			op.inflight = append(op.inflight[:i], op.inflight[i+1:]...)
			return
		}
	}
}

// succeed makes the transport on the winning socket and closes the others.
// The Future is resolved by the transport once ConnectionMade has run.
func (op *dialOp) succeed(a *dialAttempt) {
	op.done = true
	op.stopAttempts()
	if op.fut.Done() {
		closeFD(a.fd)
		op.finish()
		return
	}
	p, err := callFactory(op.factory)
	if err != nil {
		closeFD(a.fd)
		_ = op.fut.SetException(err)
		op.finish()
		return
	}
	newSocketTransport(op.l, a.fd, a.target.family, p, nil, nil, op.fut)
	op.finish()
}

// fail ends the operation with err.
func (op *dialOp) fail(err error) {
	op.done = true
	op.stopAttempts()
	if !op.fut.Done() {
		_ = op.fut.SetException(err)
	}
	op.finish()
}

// abort ends a cancelled operation.
func (op *dialOp) abort() {
	if op.done {
		return
	}
	op.done = true
	op.stopAttempts()
	op.finish()
}

// stopAttempts cancels the stagger timer and closes attempts in flight.
func (op *dialOp) stopAttempts() {
	if op.timer != nil {
		op.timer.Cancel()
		op.timer = nil
	}
	for _, a := range op.inflight {
		op.l.RemoveWriter(a.fd)
		closeFD(a.fd)
	}
	op.inflight = nil
}

// finish releases the loop reference, once.
func (op *dialOp) finish() {
	if !op.finished {
		op.finished = true
		op.l.Unref()
	}
}

// combinedError is asyncio's choice of error when every attempt failed.
func (op *dialOp) combinedError() error {
	errs := op.errs
	switch len(errs) {
	case 0:
		if len(op.targets) == 0 {
			return NewError(KindOSError, "getaddrinfo() returned empty list")
		}
		return NewError(KindTimeoutError, "create_connection failed")
	case 1:
		return errs[0]
	}
	first := pyStr(errs[0])
	sameText, sameKind := true, true
	for _, e := range errs[1:] {
		sameText = sameText && pyStr(e) == first
		sameKind = sameKind && e.Kind == errs[0].Kind && e.Errno == errs[0].Errno
	}
	if sameText {
		return errs[0]
	}
	texts := make([]string, len(errs))
	for i, e := range errs {
		texts[i] = pyStr(e)
	}
	combined := &Error{Kind: KindOSError, Message: "Multiple exceptions: " + strings.Join(texts, ", ")}
	if sameKind {
		combined.Kind, combined.Err = errs[0].Kind, errs[0]
	}
	return combined
}

// pyStr is Python's str() of the exception: "[Errno 111] Connection
// refused", without the class name.
func pyStr(e *Error) string {
	if e.Errno != 0 {
		return fmt.Sprintf("[Errno %d] %s", int(e.Errno), e.Message)
	}
	return e.Message
}

// familyName is Python's name for an address family.
func familyName(family int) string {
	switch family {
	case unix.AF_INET:
		return "AddressFamily.AF_INET"
	case unix.AF_INET6:
		return "AddressFamily.AF_INET6"
	case unix.AF_UNIX:
		return "AddressFamily.AF_UNIX"
	}
	return strconv.Itoa(family)
}
