package starlarkbind

import (
	"github.com/starnet-dev/starnet/loop"
	"github.com/starnet-dev/starnet/starlarkbind/internal/bind"
	"github.com/starnet-dev/starnet/transports"
	"go.starlark.net/starlark"
)

// Streams (API.md "Streams"): asyncio's open_connection/start_server on the
// transports, with StreamReader and StreamWriter values whose coroutine
// methods return Futures.

// streamArgs removes the keyword argument limit and prepends a Go factory of
// stream protocols; it returns the new arguments and the limit.
func streamArgs(fnname string, args starlark.Tuple, kwargs []starlark.Tuple, factory func(limit int) transports.ProtocolFactory) (starlark.Tuple, []starlark.Tuple, error) {
	limit := limitArg{n: transports.DefaultStreamLimit}
	rest := make([]starlark.Tuple, 0, len(kwargs))
	for _, kv := range kwargs {
		if string(kv[0].(starlark.String)) != "limit" {
			rest = append(rest, kv)
			continue
		}
		if err := bind.UnpackArg(fnname, "limit", kv[1], &limit); err != nil {
			return nil, nil, err
		}
	}
	out := make(starlark.Tuple, 0, len(args)+1)
	out = append(out, GoFactory(factory(limit.n)))
	out = append(out, args...)
	return out, rest, nil
}

// limitArg unpacks a StreamReader's limit: a positive int.
type limitArg struct{ n int }

func (a *limitArg) Unpack(v starlark.Value) error {
	var c bind.Count
	if err := c.Unpack(v); err != nil {
		return err
	}
	if c.N == 0 {
		return bind.Invalid("Limit cannot be <= 0")
	}
	a.n = c.N
	return nil
}

// streamPair turns a Future of a Connection into a Future of (reader, writer).
func (e *Env) streamPair(v starlark.Value) starlark.Value {
	fv, ok := v.(*futureValue)
	if !ok {
		return v
	}
	out := e.loop.NewFuture()
	fv.f.AddDoneCallback(func(f *loop.Future) {
		r, err := f.Result()
		conn, ok := r.(*transports.Connection)
		if err != nil || !ok {
			copyOutcome(out, f)
			return
		}
		p := unwrapGo(conn.Protocol).(*transports.StreamReaderProtocol)
		_ = out.SetResult(starlark.Tuple{e.readerValue(p.Reader), e.writerValue(p.Writer)})
	})
	// Cancelling the pair (wait_for's timeout, task.cancel) cancels the
	// connection attempt, as cancelling asyncio's open_connection does.
	out.AddDoneCallback(func(o *loop.Future) {
		if o.Cancelled() {
			fv.f.Cancel()
		}
	})
	return e.futureValue(out)
}

// newStreamProtocol makes a stream protocol whose reads complete with
// Starlark bytes, made from the reader's buffer in one copy.
func newStreamProtocol(l *loop.Loop, limit int) *transports.StreamReaderProtocol {
	p := transports.NewStreamReaderProtocol(l, limit)
	p.Reader.SetResultMaker(bytesResult)
	return p
}

// bytesResult is a read's result as a Starlark value.
func bytesResult(data []byte) any { return starlark.Bytes(data) }

// clientFactory makes open_connection's protocols.
func clientFactory(l *loop.Loop) func(int) transports.ProtocolFactory {
	return func(limit int) transports.ProtocolFactory {
		return func() (transports.BaseProtocol, error) { return newStreamProtocol(l, limit), nil }
	}
}

func (lv *loopValue) openConnection(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	a, kw, err := streamArgs(fnname, args, kwargs, clientFactory(lv.l()))
	if err != nil {
		return nil, err
	}
	v, err := lv.createConnection(fnname, a, kw)
	if err != nil {
		return nil, err
	}
	return lv.e.streamPair(v), nil
}

func (lv *loopValue) openUnixConnection(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	a, kw, err := streamArgs(fnname, args, kwargs, clientFactory(lv.l()))
	if err != nil {
		return nil, err
	}
	v, err := lv.createUnixConnection(fnname, a, kw)
	if err != nil {
		return nil, err
	}
	return lv.e.streamPair(v), nil
}

// serverFactory makes protocols that call handler(reader, writer) for each
// accepted connection.
func (lv *loopValue) serverFactory(handler starlark.Callable) func(int) transports.ProtocolFactory {
	e, l := lv.e, lv.l()
	return func(limit int) transports.ProtocolFactory {
		return func() (transports.BaseProtocol, error) {
			p := newStreamProtocol(l, limit)
			p.OnConnect = func(r *transports.StreamReader, w *transports.StreamWriter) {
				e.runHandler(handler, r, w)
			}
			return p, nil
		}
	}
}

// runHandler runs the connection handler as a task, as asyncio does with
// a coroutine client_connected_cb: it may wait (wait(reader.readline())).
// A handler that fails is reported as asyncio reports it, and its
// connection is closed; a cancelled one is not a failure.
func (e *Env) runHandler(handler starlark.Callable, r *transports.StreamReader, w *transports.StreamWriter) {
	t := e.newTask(handler, starlark.Tuple{e.readerValue(r), e.writerValue(w)}, "")
	t.f.AddDoneCallback(func(f *loop.Future) {
		if f.Cancelled() {
			return
		}
		if err := f.Exception(); err != nil {
			e.report(loop.ErrorContext{Message: "Unhandled exception in client_connected_cb", Err: err, Transport: e.transportValue(w.Transport())})
			w.Close()
		}
	})
}

func (lv *loopValue) startServer(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	return lv.startStreamServer(fnname, args, kwargs, lv.createServer)
}

func (lv *loopValue) startUnixServer(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	return lv.startStreamServer(fnname, args, kwargs, lv.createUnixServer)
}

func (lv *loopValue) startStreamServer(fnname string, args starlark.Tuple, kwargs []starlark.Tuple, create loopMethod2) (starlark.Value, error) {
	handler, args, kwargs, err := handlerArg(fnname, args, kwargs)
	if err != nil {
		return nil, err
	}
	a, kw, err := streamArgs(fnname, args, kwargs, lv.serverFactory(handler))
	if err != nil {
		return nil, err
	}
	return create(fnname, a, kw)
}

// loopMethod2 is a bound loop method.
type loopMethod2 func(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error)

// handlerArg unpacks client_connected_cb, positional or by keyword, and
// returns the other arguments.
func handlerArg(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Callable, starlark.Tuple, []starlark.Tuple, error) {
	var handler starlark.Callable
	if len(args) > 0 {
		err := bind.UnpackArg(fnname, "client_connected_cb", args[0], &handler)
		return handler, args[1:], kwargs, err
	}
	for i, kv := range kwargs {
		if string(kv[0].(starlark.String)) == "client_connected_cb" {
			rest := append(append([]starlark.Tuple{}, kwargs[:i]...), kwargs[i+1:]...)
			err := bind.UnpackArg(fnname, "client_connected_cb", kv[1], &handler)
			return handler, args, rest, err
		}
	}
	return nil, nil, nil, typeErrorf("%s: missing argument for client_connected_cb", fnname)
}
