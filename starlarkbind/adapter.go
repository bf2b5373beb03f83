package starlarkbind

import (
	"fmt"
	"net"

	"github.com/starnet-dev/starnet/loop"
	"github.com/starnet-dev/starnet/starlarkbind/binary"
	"github.com/starnet-dev/starnet/transports"
	"go.starlark.net/starlark"
)

// The adapter makes a Starlark protocol object a transports protocol
// (API.md §3). Every callback is optional. Each runs under a fresh step
// budget; a failure is reported through the loop's exception handler, and a
// failure in data_received, eof_received, get_buffer or buffer_updated then
// force-closes the transport with a ScriptError, as asyncio's
// _fatal_error does. No Go panic escapes: Env.call recovers them.
//
// Hot path: data_received gets one starlark.Bytes per read (the only
// allocation); callbacks of a protocol instance are found with map lookups,
// never through bound-method values; argument tuples are reused when the
// callee is a Starlark function (which copies its arguments on entry).

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

// adapter is the state shared by the stream and buffered adapters.
type adapter struct {
	e    *Env
	obj  starlark.Value
	inst *ProtocolInstance // obj, when it is one (fast path)
	t    transports.BaseTransport
	tv   *transportValue
	lost bool
	dead bool // a fatal failure closed the transport: no more data callbacks

	// reusable argument tuples, by length
	args1 [1]starlark.Value
	args2 [2]starlark.Value
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
	inst, _ := obj.(*ProtocolInstance)
	a := adapter{e: e, obj: obj, inst: inst}
	if a.has(cbGetBuffer) && !a.has(cbDataReceived) {
		return &bufferedAdapter{adapter: a}
	}
	return &streamAdapter{adapter: a}
}

// String is the protocol object's str(), for the exception handler's report.
func (a *adapter) String() string { return a.obj.String() }

// Object returns the Starlark protocol object.
func (a *adapter) Object() starlark.Value { return a.obj }

// protocolName names the protocol in reports: its class, or its type.
func (a *adapter) protocolName() string {
	if a.inst != nil {
		return a.inst.class.name
	}
	return a.obj.Type()
}

// lookup finds a callback: fn, and self when fn must be called with the
// instance first. A missing callback (or an object whose Attr fails) gives
// nil.
func (a *adapter) lookup(name string) (fn, self starlark.Value) {
	if a.inst != nil {
		return a.inst.lookup(name)
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

func (a *adapter) has(name string) bool {
	fn, _ := a.lookup(name)
	return fn != nil && fn != starlark.None
}

// invoke calls callback name with up to one argument (x nil: none). found
// is false when the protocol has no such callback.
func (a *adapter) invoke(name string, x starlark.Value) (v starlark.Value, found bool, err error) {
	fn, self := a.lookup(name)
	if fn == nil || fn == starlark.None {
		return starlark.None, false, nil
	}
	_, reusable := fn.(*starlark.Function)
	var args starlark.Tuple
	switch {
	case self != nil && x != nil:
		if reusable {
			a.args2[0], a.args2[1] = self, x
			args = a.args2[:]
		} else {
			args = starlark.Tuple{self, x}
		}
	case self != nil || x != nil:
		y := self
		if y == nil {
			y = x
		}
		if reusable {
			a.args1[0] = y
			args = a.args1[:]
		} else {
			args = starlark.Tuple{y}
		}
	}
	v, err = a.e.call(fn, args)
	if reusable {
		// Drop references (the data of the read, above all) at once.
		a.args1[0], a.args2[0], a.args2[1] = nil, nil, nil
	}
	return v, true, err
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
	if fatal && a.t != nil {
		a.dead = true
		forceClose(a.t, scriptError(what, err))
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
	if a.t == nil {
		return "unknown"
	}
	switch p := a.t.GetExtraInfo("peername").(type) {
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
func (a *adapter) ConnectionMade(t transports.BaseTransport) {
	a.t = t
	a.tv = a.e.track(t)
	if _, found, err := a.invoke(cbConnectionMade, a.tv); found && err != nil {
		a.failed(cbConnectionMade, err, false)
	}
}

// ConnectionLost calls connection_lost(exc) once, then forgets the transport.
func (a *adapter) ConnectionLost(err error) {
	if a.lost {
		return
	}
	a.lost = true
	defer func() {
		if a.t != nil {
			a.e.untrack(a.t)
		}
	}()
	var exc starlark.Value = starlark.None
	if ev := NewErrorValue(err); ev != nil {
		exc = ev
	}
	if _, found, cerr := a.invoke(cbConnectionLost, exc); found && cerr != nil {
		a.failed(cbConnectionLost, cerr, false)
	}
}

// PauseWriting calls pause_writing().
func (a *adapter) PauseWriting() {
	if _, found, err := a.invoke(cbPauseWriting, nil); found && err != nil {
		a.failed(cbPauseWriting, err, false)
	}
}

// ResumeWriting calls resume_writing().
func (a *adapter) ResumeWriting() {
	if _, found, err := a.invoke(cbResumeWriting, nil); found && err != nil {
		a.failed(cbResumeWriting, err, false)
	}
}

// EOFReceived calls eof_received(); a missing callback means false (close).
func (a *adapter) EOFReceived() bool {
	if a.dead {
		return false
	}
	v, found, err := a.invoke(cbEOFReceived, nil)
	if !found {
		return false
	}
	if err != nil {
		a.failed(cbEOFReceived, err, true)
		return false
	}
	return bool(v.Truth())
}

// DataReceived calls data_received(data) with one bytes value per read.
func (s *streamAdapter) DataReceived(data []byte) {
	if s.dead {
		return
	}
	if _, found, err := s.invoke(cbDataReceived, starlark.Bytes(data)); found && err != nil {
		s.failed(cbDataReceived, err, true)
	}
}

// GetBuffer calls get_buffer(sizehint) and returns the buffer's contents for
// the transport to read into. A failure, or a value that is not a mutable
// non-empty binary.buffer, is fatal: the adapter reports it and closes the
// transport itself (so that the report carries the Starlark traceback), and
// hands the transport a scratch buffer whose contents are dropped.
func (b *bufferedAdapter) GetBuffer(sizehint int) []byte {
	if b.dead {
		return b.scratch[:]
	}
	v, found, err := b.invoke(cbGetBuffer, starlark.MakeInt(sizehint))
	if !found {
		err = fmt.Errorf("RuntimeError: %s has no get_buffer()", b.protocolName())
	}
	if err == nil {
		buf, ok := v.(*binary.Buffer)
		switch {
		case !ok:
			err = typeErrorf("get_buffer() returned %s, want a binary.buffer", v.Type())
		case buf.Len() == 0:
			err = fmt.Errorf("RuntimeError: get_buffer() returned an empty buffer")
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
	if _, found, err := b.invoke(cbBufferUpdated, starlark.MakeInt(n)); found && err != nil {
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

// String describes the wrapped protocol.
func (g *goBase) String() string { return fmt.Sprint(g.BaseProtocol) }

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
		return &brokenProtocol{e: e, err: scriptError("", fmt.Errorf("RuntimeError: Go protocol factory returned nil"))}
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
