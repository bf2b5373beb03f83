package starlarkbind

import (
	"fmt"
	"net"
	"os"

	"github.com/starnet-dev/starnet/loop"
	"github.com/starnet-dev/starnet/starlarkbind/internal/bind"
	"github.com/starnet-dev/starnet/transports"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// Future values (API.md "The loop"): asyncio's Future for scripts. A future made by
// a script holds Starlark values; one made by a transports constructor holds
// Go results, converted when read (a *transports.Connection becomes the
// (transport, protocol) tuple, a *transports.Server a server value).

// futureValue is the Starlark value of a *loop.Future.
type futureValue struct {
	e     *Env
	f     *loop.Future
	bound bind.Bound // its methods, bound on first use
	t     *task      // the task whose future f is, or nil (task.go)
}

var (
	_ starlark.HasAttrs   = (*futureValue)(nil)
	_ starlark.Comparable = (*futureValue)(nil)
)

// futureValue wraps f.
func (e *Env) futureValue(f *loop.Future) *futureValue {
	f.LogUnretrieved() // a future the script sees: its unretrieved error is reported
	t := e.tasks[f]
	e.noteFuture(f, t)
	return &futureValue{e: e, f: f, t: t}
}

// Future returns the Go future.
func (fv *futureValue) Future() *loop.Future { return fv.f }

func (fv *futureValue) String() string { return withCreatedAt(fv.repr(), fv.f.Source()) }

// repr is String without debug mode's "created at".
func (fv *futureValue) repr() string {
	if fv.t != nil {
		return fv.t.describe()
	}
	switch {
	case !fv.f.Done():
		return "<Future pending>"
	case fv.f.Cancelled():
		return "<Future cancelled>"
	}
	v, err := fv.f.Outcome() // a repr does not retrieve the error
	if err != nil {
		return fmt.Sprintf("<Future finished exception=%s>", NewErrorValue(err))
	}
	return fmt.Sprintf("<Future finished result=%s>", fv.e.fromGo(v))
}

func (fv *futureValue) Type() string          { return "future" }
func (fv *futureValue) Freeze()               {}
func (fv *futureValue) Truth() starlark.Bool  { return starlark.True }
func (fv *futureValue) Hash() (uint32, error) { return identityHash(fv.f), nil }

// CompareSameType compares the futures' identity.
func (fv *futureValue) CompareSameType(op syntax.Token, y starlark.Value, _ int) (bool, error) {
	other := y.(*futureValue)
	switch op {
	case syntax.EQL:
		return fv.f == other.f, nil
	case syntax.NEQ:
		return fv.f != other.f, nil
	}
	return false, typeErrorf("future %s future not supported", op)
}

// futureMethods are a future's methods (asyncio.Future's).
var futureMethods = bind.NewMethods("future", futureMethodTable())

// futureMethodTable is futureMethods' table; a task's adds to it (task_value.go).
func futureMethodTable() map[string]bind.Method[*futureValue] {
	return map[string]bind.Method[*futureValue]{
		"add_done_callback": {Fn: (*futureValue).addDoneCallback},
		"cancel":            {Fn: (*futureValue).cancel},
		"cancelled":         {Fn0: (*futureValue).cancelled},
		"done":              {Fn0: (*futureValue).done},
		"exception":         {Fn0: (*futureValue).exception},
		"result":            {Fn0: (*futureValue).result},
		"set_exception":     {Fn: (*futureValue).setException},
		"set_result":        {Fn: (*futureValue).setResult},
	}
}

func (fv *futureValue) AttrNames() []string {
	if fv.t != nil {
		return taskMethods.AttrNames(fv)
	}
	return futureMethods.AttrNames(fv)
}

func (fv *futureValue) Attr(name string) (starlark.Value, error) {
	if fv.t != nil {
		return taskMethods.Attr(fv, &fv.bound, name)
	}
	return futureMethods.Attr(fv, &fv.bound, name)
}

func (fv *futureValue) done() (starlark.Value, error) {
	return starlark.Bool(fv.f.Done()), nil
}

func (fv *futureValue) cancelled() (starlark.Value, error) {
	return starlark.Bool(fv.f.Cancelled()), nil
}

// errNotSet is asyncio's InvalidStateError for reading a pending future.
func errNotSet(what string) error {
	return failWith(newError(kindInvalidStateError, what+" is not set."))
}

func (fv *futureValue) result() (starlark.Value, error) {
	if !fv.f.Done() {
		return nil, errNotSet("Result")
	}
	v, err := fv.f.Result()
	if err != nil {
		return nil, failWith(NewErrorValue(err))
	}
	return fv.e.fromGo(v), nil
}

func (fv *futureValue) exception() (starlark.Value, error) {
	if !fv.f.Done() {
		return nil, errNotSet("Exception")
	}
	if fv.f.Cancelled() {
		return nil, failWith(NewErrorValue(loop.ErrCancelled))
	}
	if ev := NewErrorValue(fv.f.Exception()); ev != nil {
		return ev, nil
	}
	return starlark.None, nil
}

func (fv *futureValue) cancel(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var msg starlark.Value = starlark.None
	if err := unpack(fnname, args, kwargs, "msg?", &msg); err != nil {
		return nil, err
	}
	return starlark.Bool(fv.f.Cancel()), nil
}

func (fv *futureValue) setResult(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v starlark.Value
	if err := unpack(fnname, args, kwargs, "result", &v); err != nil {
		return nil, err
	}
	if fv.f.Done() {
		return nil, failWith(newError(kindInvalidStateError, "invalid state: the future is already done"))
	}
	if err := fv.f.SetResult(v); err != nil {
		return nil, failWith(newError(kindInvalidStateError, "invalid state: the future is already done"))
	}
	return starlark.None, nil
}

func (fv *futureValue) setException(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v starlark.Value
	if err := unpack(fnname, args, kwargs, "exception", &v); err != nil {
		return nil, err
	}
	if fv.f.Done() { // checked first, as asyncio does
		return nil, failWith(newError(kindInvalidStateError, "invalid state: the future is already done"))
	}
	var exc errorArg
	if err := bind.UnpackArg(fnname, "exception", v, &exc); err != nil {
		return nil, err
	}
	if err := fv.f.SetException(failWith(exc.ev)); err != nil {
		return nil, failWith(newError(kindInvalidStateError, "invalid state: the future is already done"))
	}
	return starlark.None, nil
}

func (fv *futureValue) addDoneCallback(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var fn starlark.Callable
	if err := unpack(fnname, args, kwargs, "fn", &fn); err != nil {
		return nil, err
	}
	e := fv.e
	src := e.scriptSource(&callbackName{e: e, fn: fn, args: starlark.Tuple{fv}})
	fv.f.AddDoneCallbackSource(func(*loop.Future) {
		_, err := e.call(fn, starlark.Tuple{fv})
		e.reportFailedCallback(e.callbackSource(fn, starlark.Tuple{fv}), err, nil, src)
	}, src)
	return starlark.None, nil
}

// fromGo converts a Go value (a future's result, extra info, an exception
// context entry) to a Starlark value.
func (e *Env) fromGo(v any) starlark.Value {
	switch v := v.(type) {
	case nil:
		return starlark.None
	case starlark.Value:
		return v
	case *transports.Connection:
		return e.connectionValue(v)
	case *transports.Server:
		return e.serverValue(v)
	case []transports.AddrInfo:
		return addrInfoList(v)
	case *os.File:
		return newExtraInfoPipe(v) // get_extra_info("pipe")
	case *transports.Socket:
		return &socketValue{s: v}
	case transports.BaseTransport:
		return e.transportValue(v)
	case transports.BaseProtocol:
		return e.protocolValue(v)
	case *loop.Future:
		return e.futureValue(v)
	case net.Addr:
		return addrValue(v)
	case error:
		return NewErrorValue(v)
	case string:
		return starlark.String(v)
	case []byte:
		return starlark.Bytes(v)
	case bool:
		return starlark.Bool(v)
	case int:
		return starlark.MakeInt(v)
	case int64:
		return starlark.MakeInt64(v)
	case float64:
		return starlark.Float(v)
	case []any:
		list := make([]starlark.Value, len(v))
		for i, x := range v {
			list[i] = e.fromGo(x)
		}
		return starlark.NewList(list)
	case map[string]any:
		d := starlark.NewDict(len(v))
		for k, x := range v {
			_ = d.SetKey(starlark.String(k), e.fromGo(x))
		}
		return d
	case loop.ErrorContext:
		return e.contextDict(v)
	}
	return starlark.String(fmt.Sprint(v))
}

// connectionValue is the (transport, protocol) tuple of a connection.
func (e *Env) connectionValue(c *transports.Connection) starlark.Value {
	var tv starlark.Value = starlark.None
	if sp, ok := c.Protocol.(starlarkProtocol); ok && sp.base().tv != nil {
		tv = sp.base().tv
	} else if c.Transport != nil {
		tv = e.transportValue(c.Transport)
	}
	var pv starlark.Value = starlark.None
	if _, broken := c.Protocol.(*brokenProtocol); !broken {
		pv = e.protocolValue(c.Protocol)
	}
	return starlark.Tuple{tv, pv}
}

// addrInfoList converts getaddrinfo results to Python's tuples.
func addrInfoList(infos []transports.AddrInfo) starlark.Value {
	list := make([]starlark.Value, len(infos))
	for i, ai := range infos {
		list[i] = starlark.Tuple{
			starlark.MakeInt(ai.Family),
			starlark.MakeInt(ai.Type),
			starlark.MakeInt(ai.Proto),
			starlark.String(ai.Canonname),
			ipPortTuple(ai.IP, ai.Port),
		}
	}
	return starlark.NewList(list)
}

// handleValue is the Starlark value of a *loop.Handle: cancel(),
// cancelled(), and when() for timers.
type handleValue struct {
	h     *loop.Handle
	timer bool
	what  string
	bound bind.Bound // its methods, bound on first use
}

var _ starlark.HasAttrs = (*handleValue)(nil)

func (hv *handleValue) String() string {
	state := ""
	if hv.h.Cancelled() {
		state = " cancelled"
	}
	if hv.timer {
		return fmt.Sprintf("<TimerHandle%s when=%g %s>", state, hv.h.When(), hv.what)
	}
	return fmt.Sprintf("<Handle%s %s>", state, hv.what)
}

func (hv *handleValue) Type() string {
	if hv.timer {
		return "timer_handle"
	}
	return "handle"
}

func (hv *handleValue) Freeze()               {}
func (hv *handleValue) Truth() starlark.Bool  { return starlark.True }
func (hv *handleValue) Hash() (uint32, error) { return identityHash(hv), nil }

// handleMethods are a handle's methods; when is a timer handle's only.
var handleMethods = bind.NewMethods("handle", map[string]bind.Method[*handleValue]{
	"cancel":    {Fn0: (*handleValue).cancel},
	"cancelled": {Fn0: (*handleValue).cancelled},
	"when":      {Fn0: (*handleValue).when, Has: (*handleValue).isTimer},
})

func (hv *handleValue) AttrNames() []string { return handleMethods.AttrNames(hv) }

func (hv *handleValue) Attr(name string) (starlark.Value, error) {
	return handleMethods.Attr(hv, &hv.bound, name)
}

func (hv *handleValue) isTimer() bool { return hv.timer }

func (hv *handleValue) cancel() (starlark.Value, error) {
	hv.h.Cancel()
	return starlark.None, nil
}

func (hv *handleValue) cancelled() (starlark.Value, error) {
	return starlark.Bool(hv.h.Cancelled()), nil
}

func (hv *handleValue) when() (starlark.Value, error) {
	return starlark.Float(hv.h.When()), nil
}
