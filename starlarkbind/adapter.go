package starlarkbind

import (
	"fmt"
	"net"
	"runtime/debug"

	"github.com/starnet-dev/starnet/loop"
	"github.com/starnet-dev/starnet/starlarkbind/binary"
	"github.com/starnet-dev/starnet/transports"
	"go.starlark.net/starlark"
)

// The adapter makes a Starlark protocol object a transports protocol
// (API.md "Protocols"). Every callback is optional. Each runs under a fresh step
// budget; a failure is reported through the loop's exception handler, and a
// failure in data_received, eof_received, get_buffer or buffer_updated then
// force-closes the transport with a ScriptError, as asyncio's
// _fatal_error does. No Go panic escapes: Env.call recovers them.
//
// Hot path: a stream is read straight into the loop's receive arena and
// data_received gets one bytes value per read, made in place without a
// copy or an allocation (recvarena.go; other transports copy, in one
// allocation: newBytes); the callbacks of a protocol instance come from
// its class's slots, without hashing a name or making a bound method; the
// argument tuple is reused when the callee is a Starlark function (which
// copies its arguments on entry); the step budget is set without atomic
// operations (call).

// Callback names.
const (
	cbConnectionMade = "connection_made"
	cbConnectionLost = "connection_lost"
	cbPauseWriting   = "pause_writing"
	cbResumeWriting  = "resume_writing"
	cbDataReceived   = "data_received"
	cbEOFReceived    = "eof_received"
	cbGetBuffer      = "get_buffer"
	cbBufferUpdated  = "buffer_updated"
)

// Callback slots: the stream callbacks by number, for the lookups of the
// hot path (ProtocolClass caches its members by slot).
const (
	slotConnectionMade = iota
	slotConnectionLost
	slotPauseWriting
	slotResumeWriting
	slotDataReceived
	slotEOFReceived
	slotGetBuffer
	slotBufferUpdated
	numCallbacks
)

// callbackNames names the slots; it is never modified.
var callbackNames = [numCallbacks]string{
	cbConnectionMade, cbConnectionLost, cbPauseWriting, cbResumeWriting,
	cbDataReceived, cbEOFReceived, cbGetBuffer, cbBufferUpdated,
}

// callbackSet is a set of slots.
type callbackSet uint16

// callbackSlot returns the slot of a callback name.
func callbackSlot(name string) (int, bool) {
	switch name {
	case cbConnectionMade:
		return slotConnectionMade, true
	case cbConnectionLost:
		return slotConnectionLost, true
	case cbPauseWriting:
		return slotPauseWriting, true
	case cbResumeWriting:
		return slotResumeWriting, true
	case cbDataReceived:
		return slotDataReceived, true
	case cbEOFReceived:
		return slotEOFReceived, true
	case cbGetBuffer:
		return slotGetBuffer, true
	case cbBufferUpdated:
		return slotBufferUpdated, true
	}
	return 0, false
}

// adapter is the state shared by the stream and buffered adapters. It is
// kept small: a server holds one per connection.
type adapter struct {
	e    *Env
	obj  starlark.Value  // a *ProtocolInstance on the fast path (see instance)
	tv   *transportValue // the transport's value, once connected
	lost bool
	dead bool // a fatal failure closed the transport: no more data callbacks

	// args is the argument tuple of calls to Starlark functions, which
	// copy their arguments on entry: it is reused, then cleared. The
	// instances of a protocol class share their class's (see
	// ProtocolClass.args); other protocol objects get one on first need.
	args *[2]starlark.Value
}

// streamAdapter is a transports.Protocol.
type streamAdapter struct{ adapter }

// bufferedAdapter is a transports.BufferedProtocol.
type bufferedAdapter struct {
	adapter
	scratch [64]byte // what the transport reads into after a fatal failure
}

var (
	_ transports.Protocol         = (*streamAdapter)(nil)
	_ transports.BufferedProtocol = (*bufferedAdapter)(nil)
)

// starlarkProtocol is implemented by both adapters.
type starlarkProtocol interface {
	transports.BaseProtocol
	base() *adapter
}

func (a *adapter) base() *adapter { return a }

// newAdapter adapts obj: a BufferedProtocol when it has get_buffer and no
// data_received (as asyncio decides), a Protocol otherwise.
func newAdapter(e *Env, obj starlark.Value) starlarkProtocol {
	a := adapter{e: e, obj: obj}
	if a.has(slotGetBuffer) && !a.has(slotDataReceived) {
		return &bufferedAdapter{adapter: a}
	}
	return &streamAdapter{adapter: a}
}

// instance returns the protocol object when it is an instance of a
// protocol class (the fast path), else nil. (A type check, not a field:
// a server holds an adapter per connection.)
func (a *adapter) instance() *ProtocolInstance {
	inst, _ := a.obj.(*ProtocolInstance)
	return inst
}

// transport returns the Go transport, or nil before the connection is made.
func (a *adapter) transport() transports.BaseTransport {
	if a.tv == nil {
		return nil
	}
	return a.tv.t
}

// String is the protocol object's str(), for the exception handler's report.
func (a *adapter) String() string { return a.obj.String() }

// Object returns the Starlark protocol object.
func (a *adapter) Object() starlark.Value { return a.obj }

// protocolName names the protocol in reports: its class, or its type.
func (a *adapter) protocolName() string {
	if inst := a.instance(); inst != nil {
		return inst.class.name
	}
	return a.obj.Type()
}

// lookup finds a callback by name: fn, and self when fn must be called with
// the instance first. A missing callback (or an object whose Attr fails)
// gives nil.
func (a *adapter) lookup(name string) (fn, self starlark.Value) {
	if inst := a.instance(); inst != nil {
		return inst.lookup(name)
	}
	ha, ok := a.obj.(starlark.HasAttrs)
	if !ok {
		return nil, nil
	}
	v, err := ha.Attr(name)
	if err != nil {
		return nil, nil
	}
	return v, nil
}

// callback finds the callback in slot, as lookup does; function reports
// that fn is a *starlark.Function, which copies its arguments.
func (a *adapter) callback(slot int) (fn, self starlark.Value, function bool) {
	if inst := a.instance(); inst != nil {
		return inst.callback(slot)
	}
	fn, self = a.lookup(callbackNames[slot])
	_, function = fn.(*starlark.Function)
	return fn, self, function
}

// missing reports whether a looked-up callback is absent.
func missing(fn starlark.Value) bool { return fn == nil || fn == starlark.None }

func (a *adapter) has(slot int) bool {
	fn, _, _ := a.callback(slot)
	return !missing(fn)
}

// invokeSlot calls the callback in slot with up to one argument (x nil:
// none). found is false when the protocol has no such callback.
func (a *adapter) invokeSlot(slot int, x starlark.Value) (v starlark.Value, found bool, err error) {
	fn, self, function := a.callback(slot)
	return a.callFound(fn, self, function, x)
}

// callFound calls fn (self first, then x, each if not nil) unless it is
// missing. A Starlark function gets the reused argument tuple.
func (a *adapter) callFound(fn, self starlark.Value, function bool, x starlark.Value) (v starlark.Value, found bool, err error) {
	if missing(fn) {
		return starlark.None, false, nil
	}
	var args starlark.Tuple
	var reused *[2]starlark.Value
	if function {
		reused = a.reusableArgs()
		args = reused[:0]
	}
	if self != nil {
		args = append(args, self)
	}
	if x != nil {
		args = append(args, x)
	}
	v, err = a.call(fn, args)
	if reused != nil {
		// Drop references (the data of the read, above all) at once, one
		// by one: clearing the array would take the collector's bulk
		// write barrier.
		reused[0], reused[1] = nil, nil
	}
	return v, true, err
}

// reusableArgs returns the argument array to reuse: the class's when this
// adapter runs on the class's thread, else the adapter's own. A call
// nested in another (a write calling pause_writing) may reuse it too: the
// outer callee copied its arguments before it ran.
func (a *adapter) reusableArgs() *[2]starlark.Value {
	if inst := a.instance(); inst != nil && inst.class.owner == a.e.thread {
		return &inst.class.args
	}
	if a.args == nil {
		a.args = new([2]starlark.Value)
	}
	return a.args
}

// call calls fn under a fresh step budget, as Env.call does, with less
// work on the hot path: no closure, and the thread's cancellation (which
// an exhausted budget sets, and which always fails the call) is reset only
// after a failure, instead of twice per call with atomic stores. A
// cancellation from off the loop (Env.CancelRunning) that came after the
// previous callback ended is cleared here, found by one atomic load.
func (a *adapter) call(fn starlark.Value, args starlark.Tuple) (v starlark.Value, err error) {
	e := a.e
	th := e.thread
	if n := e.cancels.Load(); n != e.cancelsSeen {
		e.cancelsSeen = n
		th.Uncancel()
	}
	outer := e.stepLimit
	start := th.ExecutionSteps()
	e.setStepLimit(addSat(start, e.maxSteps))
	defer func() {
		if r := recover(); r != nil {
			err = &loop.PanicError{Value: r, Stack: string(debug.Stack())}
		}
		if err != nil {
			th.Uncancel()
		}
		e.setStepLimit(addSat(outer, th.ExecutionSteps()-start))
	}()
	return starlark.Call(th, fn, args, nil)
}

// failed reports a failed callback and, when fatal, force-closes the
// transport with a ScriptError. exit() is not a failure.
func (a *adapter) failed(callback string, err error, fatal bool) {
	if isExit(err) {
		return
	}
	what := fmt.Sprintf("%s.%s()", a.protocolName(), callback)
	msg := fmt.Sprintf("%s failed (peer %s)", what, a.peer())
	if fatal {
		msg = "Fatal error: " + msg + "; closing the transport"
	}
	ctx := loop.ErrorContext{Message: msg, Err: err, Protocol: a.obj}
	if a.tv != nil {
		ctx.Transport = a.tv
	}
	a.e.report(ctx)
	if t := a.transport(); fatal && t != nil {
		a.dead = true
		forceClose(t, scriptError(what, err))
	}
}

// forceClose closes t at once with err (asyncio's _force_close).
func forceClose(t transports.BaseTransport, err error) {
	if fc, ok := t.(transports.ForceCloser); ok {
		fc.ForceClose(err)
		return
	}
	abortTransport(t)
}

// peer describes the remote end for reports.
func (a *adapter) peer() string {
	t := a.transport()
	if t == nil {
		return "unknown"
	}
	switch p := t.GetExtraInfo("peername").(type) {
	case *net.UnixAddr:
		if unixName(p.Name) == "" {
			return "unix socket"
		}
		return p.Name
	case net.Addr:
		return p.String()
	case string:
		return p
	}
	return "unknown"
}

// ConnectionMade records the transport and calls connection_made(transport).
// A failure is only reported, except over TLS, where it closes the
// connection: asyncio calls connection_made there inside the TLS layer's
// read, whose failure is fatal.
func (a *adapter) ConnectionMade(t transports.BaseTransport) {
	a.tv = a.e.track(t)
	if _, found, err := a.invokeSlot(slotConnectionMade, a.tv); found && err != nil {
		a.failed(cbConnectionMade, err, t.GetExtraInfo("sslcontext") != nil)
	}
}

// ConnectionLost calls connection_lost(exc) once, then forgets the transport.
func (a *adapter) ConnectionLost(err error) {
	if a.lost {
		return
	}
	a.lost = true
	defer func() {
		if t := a.transport(); t != nil {
			a.e.untrack(t)
		}
	}()
	var exc starlark.Value = starlark.None
	if ev := NewErrorValue(err); ev != nil {
		exc = ev
	}
	if _, found, cerr := a.invokeSlot(slotConnectionLost, exc); found && cerr != nil {
		a.failed(cbConnectionLost, cerr, false)
	}
}

// PauseWriting calls pause_writing().
func (a *adapter) PauseWriting() {
	if _, found, err := a.invokeSlot(slotPauseWriting, nil); found && err != nil {
		a.failed(cbPauseWriting, err, false)
	}
}

// ResumeWriting calls resume_writing().
func (a *adapter) ResumeWriting() {
	if _, found, err := a.invokeSlot(slotResumeWriting, nil); found && err != nil {
		a.failed(cbResumeWriting, err, false)
	}
}

// EOFReceived calls eof_received(); a missing callback means false (close).
func (a *adapter) EOFReceived() bool {
	if a.dead {
		return false
	}
	v, found, err := a.invokeSlot(slotEOFReceived, nil)
	if !found {
		return false
	}
	if err != nil {
		a.failed(cbEOFReceived, err, true)
		return false
	}
	return bool(v.Truth())
}

// DataReceived calls data_received(data) with one bytes value per read
// (made only when the protocol has the callback).
func (s *streamAdapter) DataReceived(data []byte) {
	if s.dead {
		return
	}
	fn, self, function := s.callback(slotDataReceived)
	if missing(fn) {
		return
	}
	if _, _, err := s.callFound(fn, self, function, newBytes(data)); err != nil {
		s.failed(cbDataReceived, err, true)
	}
}

// GetBuffer makes a streamAdapter a transports.BufferedProtocol too, so
// that a socket is read straight into the loop's receive arena (see
// recvarena.go): data_received still gets one bytes value per read.
func (s *streamAdapter) GetBuffer(int) []byte { return s.e.recvArena().buffer() }

// BufferUpdated calls data_received with the n bytes read into GetBuffer's
// buffer.
func (s *streamAdapter) BufferUpdated(n int) {
	if s.dead {
		return
	}
	fn, self, function := s.callback(slotDataReceived)
	if missing(fn) {
		return
	}
	if _, _, err := s.callFound(fn, self, function, s.e.recvArena().value(n)); err != nil {
		s.failed(cbDataReceived, err, true)
	}
}

// GetBuffer calls get_buffer(sizehint) and returns the buffer's contents for
// the transport to read into. An empty buffer is returned as it is: the
// transport fails with asyncio's RuntimeError. A failure, or a value that
// is not a mutable binary.buffer, is fatal: the adapter reports it and
// closes the transport itself (so that the report carries the Starlark
// traceback), and hands the transport a scratch buffer, which it does not
// read into once closed.
func (b *bufferedAdapter) GetBuffer(sizehint int) []byte {
	if b.dead {
		return b.scratch[:]
	}
	v, found, err := b.invokeSlot(slotGetBuffer, starlark.MakeInt(sizehint))
	if !found {
		err = runtimeErrorf("%s has no get_buffer()", b.protocolName())
	}
	if err == nil {
		buf, ok := v.(*binary.Buffer)
		switch {
		case !ok:
			err = typeErrorf("get_buffer() returned %s, want a binary.buffer", v.Type())
		case buf.Len() == 0:
			// The transport fails with asyncio's RuntimeError itself
			// (reported, and given to connection_lost, as asyncio does).
			return nil
		default:
			err = buf.CheckMutable()
		}
		if err == nil {
			return buf.Bytes()
		}
	}
	b.failed(cbGetBuffer, err, true)
	return b.scratch[:]
}

// BufferUpdated calls buffer_updated(nbytes).
func (b *bufferedAdapter) BufferUpdated(n int) {
	if b.dead {
		return
	}
	if _, found, err := b.invokeSlot(slotBufferUpdated, starlark.MakeInt(n)); found && err != nil {
		b.failed(cbBufferUpdated, err, true)
	}
}

// brokenProtocol stands in for a protocol whose factory failed: it closes
// its connection at once with the factory's error.
type brokenProtocol struct {
	e   *Env
	err error
	t   transports.BaseTransport
}

func (p *brokenProtocol) ConnectionMade(t transports.BaseTransport) {
	p.t = t
	p.e.track(t)
	forceClose(t, p.err)
}

func (p *brokenProtocol) ConnectionLost(error) {
	if p.t != nil {
		p.e.untrack(p.t)
	}
}

func (p *brokenProtocol) PauseWriting()       {}
func (p *brokenProtocol) ResumeWriting()      {}
func (p *brokenProtocol) DataReceived([]byte) {}
func (p *brokenProtocol) EOFReceived() bool   { return false }

// Go protocols (from GoFactory values) are wrapped so that the env tracks
// their transports too.

type goBase struct {
	transports.BaseProtocol
	e *Env
	t transports.BaseTransport
}

func (g *goBase) ConnectionMade(t transports.BaseTransport) {
	g.t = t
	g.e.track(t)
	g.BaseProtocol.ConnectionMade(t)
}

func (g *goBase) ConnectionLost(err error) {
	defer func() {
		if g.t != nil {
			g.e.untrack(g.t)
		}
	}()
	g.BaseProtocol.ConnectionLost(err)
}

// attach records the transport of a protocol set with set_protocol, which
// gets no ConnectionMade.
func (g *goBase) attach(t transports.BaseTransport) { g.t = t }

// String describes the wrapped protocol: its own String, or
// "<Go protocol *main.echo>" (never a dump of its fields).
func (g *goBase) String() string { return loop.Describe(g.BaseProtocol, "protocol") }

// Unwrap returns the Go protocol.
func (g *goBase) Unwrap() transports.BaseProtocol { return g.BaseProtocol }

type goStream struct {
	*goBase
	p transports.Protocol
}

func (g goStream) DataReceived(data []byte) { g.p.DataReceived(data) }
func (g goStream) EOFReceived() bool        { return g.p.EOFReceived() }

type goBuffered struct {
	*goBase
	p transports.BufferedProtocol
}

func (g goBuffered) GetBuffer(n int) []byte { return g.p.GetBuffer(n) }
func (g goBuffered) BufferUpdated(n int)    { g.p.BufferUpdated(n) }
func (g goBuffered) EOFReceived() bool      { return g.p.EOFReceived() }

// wrapGo wraps a Go protocol for tracking, keeping its kind.
func (e *Env) wrapGo(p transports.BaseProtocol) transports.BaseProtocol {
	if p == nil {
		return &brokenProtocol{e: e, err: scriptError("", runtimeErrorf("Go protocol factory returned nil"))}
	}
	switch p.(type) {
	case *goBase, goStream, goBuffered, starlarkProtocol:
		return p
	}
	base := &goBase{BaseProtocol: p, e: e}
	switch q := p.(type) {
	case transports.Protocol:
		return goStream{goBase: base, p: q}
	case transports.BufferedProtocol:
		return goBuffered{goBase: base, p: q}
	}
	return base
}

// unwrapGo returns the Go protocol behind a tracking wrapper.
func unwrapGo(p transports.BaseProtocol) transports.BaseProtocol {
	switch g := p.(type) {
	case *goBase:
		return g.BaseProtocol
	case goStream:
		return g.BaseProtocol
	case goBuffered:
		return g.BaseProtocol
	}
	return p
}
