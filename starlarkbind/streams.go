package starlarkbind

import (
	"github.com/starnet-dev/starnet/loop"
	"github.com/starnet-dev/starnet/transports"
	"go.starlark.net/starlark"
)

// Streams (API.md "Streams"): asyncio's open_connection/start_server on the
// transports, with StreamReader and StreamWriter values whose coroutine
// methods return Futures.

// streamArgs removes the keyword argument limit and prepends a Go factory of
// stream protocols; it returns the new arguments and the limit.
func streamArgs(fnname string, args starlark.Tuple, kwargs []starlark.Tuple, lead int, factory func(limit int) transports.ProtocolFactory) (starlark.Tuple, []starlark.Tuple, error) {
	limit := transports.DefaultStreamLimit
	rest := make([]starlark.Tuple, 0, len(kwargs))
	for _, kv := range kwargs {
		if string(kv[0].(starlark.String)) != "limit" {
			rest = append(rest, kv)
			continue
		}
		if err := starlark.AsInt(kv[1], &limit); err != nil {
			return nil, nil, typeErrorf("%s: for parameter limit: got %s, want int", fnname, kv[1].Type())
		}
		if limit <= 0 {
			return nil, nil, valueErrorf("%s: for parameter limit: must be positive", fnname)
		}
	}
	if len(args) < lead {
		return nil, nil, typeErrorf("%s: missing argument for client_connected_cb", fnname)
	}
	out := make(starlark.Tuple, 0, len(args)+1)
	out = append(out, GoFactory(factory(limit)))
	out = append(out, args[lead:]...)
	return out, rest, nil
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

func clientFactory(l *loop.Loop) func(int) transports.ProtocolFactory {
	return func(limit int) transports.ProtocolFactory {
		return func() (transports.BaseProtocol, error) { return transports.NewStreamReaderProtocol(l, limit), nil }
	}
}

func (lv *loopValue) openConnection(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	a, kw, err := streamArgs(fnname, args, kwargs, 0, clientFactory(lv.l()))
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
	a, kw, err := streamArgs(fnname, args, kwargs, 0, clientFactory(lv.l()))
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
// accepted connection. A failing handler is reported as asyncio reports a
// failing client_connected_cb, and its connection is closed.
func (lv *loopValue) serverFactory(fnname string, handler starlark.Value) (func(int) transports.ProtocolFactory, error) {
	if _, ok := handler.(starlark.Callable); !ok {
		return nil, typeErrorf("%s: for parameter client_connected_cb: got %s, want callable", fnname, handler.Type())
	}
	e, l := lv.e, lv.l()
	return func(limit int) transports.ProtocolFactory {
		return func() (transports.BaseProtocol, error) {
			p := transports.NewStreamReaderProtocol(l, limit)
			p.OnConnect = func(r *transports.StreamReader, w *transports.StreamWriter) {
				e.runHandler(handler.(starlark.Callable), r, w)
			}
			return p, nil
		}
	}, nil
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
	handler, rest, err := handlerArg(fnname, args, kwargs)
	if err != nil {
		return nil, err
	}
	factory, err := lv.serverFactory(fnname, handler)
	if err != nil {
		return nil, err
	}
	a, kw, err := streamArgs(fnname, args[:0], rest, 0, factory)
	if err != nil {
		return nil, err
	}
	if len(args) > 1 {
		a = append(a, args[1:]...)
	}
	return create(fnname, a, kw)
}

// loopMethod2 is a bound loop method.
type loopMethod2 func(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error)

// handlerArg finds client_connected_cb, positional or by keyword.
func handlerArg(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, []starlark.Tuple, error) {
	if len(args) > 0 {
		return args[0], kwargs, nil
	}
	for i, kv := range kwargs {
		if string(kv[0].(starlark.String)) == "client_connected_cb" {
			rest := append(append([]starlark.Tuple{}, kwargs[:i]...), kwargs[i+1:]...)
			return kv[1], rest, nil
		}
	}
	return nil, nil, typeErrorf("%s: missing argument for client_connected_cb", fnname)
}
