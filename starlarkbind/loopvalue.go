package starlarkbind

import (
	"fmt"
	"net"
	"os"
	"sort"
	"strconv"
	"syscall"

	"github.com/starnet-dev/starnet/loop"
	"github.com/starnet-dev/starnet/transports"
	"go.starlark.net/starlark"
)

// The `loop` value (API.md "The loop"). Everything that is a coroutine in asyncio
// returns a Future. Permission checks of calls that return a Future fail
// the Future; wrong arguments fail the call at once.

// loopValue is the predeclared `loop`.
type loopValue struct {
	e        *Env
	methods  map[string]*starlark.Builtin
	names    []string
	excFn    starlark.Value // the script's exception handler, or nil
	scriptSi map[syscall.Signal]bool
}

var _ starlark.HasAttrs = (*loopValue)(nil)

type loopMethod func(lv *loopValue, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error)

// loopMethods is the table of methods; it is never modified.
var loopMethods = map[string]loopMethod{
	"time":                      (*loopValue).time,
	"call_soon":                 (*loopValue).callSoon,
	"call_later":                (*loopValue).callLater,
	"call_at":                   (*loopValue).callAt,
	"create_future":             (*loopValue).createFuture,
	"sleep":                     (*loopValue).sleep,
	"wait_for":                  (*loopValue).waitFor,
	"gather":                    (*loopValue).gather,
	"run_until_complete":        (*loopValue).runUntilComplete,
	"run_forever":               (*loopValue).runForever,
	"stop":                      (*loopValue).stop,
	"is_running":                (*loopValue).isRunning,
	"is_closed":                 (*loopValue).isClosed,
	"create_connection":         (*loopValue).createConnection,
	"create_server":             (*loopValue).createServer,
	"create_unix_connection":    (*loopValue).createUnixConnection,
	"create_unix_server":        (*loopValue).createUnixServer,
	"connect_accepted_socket":   (*loopValue).connectAcceptedSocket,
	"start_tls":                 (*loopValue).startTLS,
	"create_datagram_endpoint":  (*loopValue).createDatagramEndpoint,
	"connect_read_pipe":         (*loopValue).connectReadPipe,
	"connect_write_pipe":        (*loopValue).connectWritePipe,
	"subprocess_exec":           (*loopValue).subprocessExec,
	"subprocess_shell":          (*loopValue).subprocessShell,
	"sendfile":                  (*loopValue).sendfile,
	"getaddrinfo":               (*loopValue).getaddrinfo,
	"add_signal_handler":        (*loopValue).addSignalHandler,
	"remove_signal_handler":     (*loopValue).removeSignalHandler,
	"set_exception_handler":     (*loopValue).setExceptionHandler,
	"get_exception_handler":     (*loopValue).getExceptionHandler,
	"call_exception_handler":    (*loopValue).callExceptionHandler,
	"default_exception_handler": (*loopValue).defaultExceptionHandler,
	"set_debug":                 (*loopValue).setDebug,
	"get_debug":                 (*loopValue).getDebug,
	"open_connection":           (*loopValue).openConnection,
	"open_unix_connection":      (*loopValue).openUnixConnection,
	"start_server":              (*loopValue).startServer,
	"start_unix_server":         (*loopValue).startUnixServer,
}

func newLoopValue(e *Env) *loopValue {
	lv := &loopValue{e: e, methods: make(map[string]*starlark.Builtin, len(loopMethods)), scriptSi: make(map[syscall.Signal]bool)}
	for name, m := range loopMethods {
		fnname := "loop." + name
		lv.methods[name] = starlark.NewBuiltin(name, func(_ *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			return m(lv, fnname, args, kwargs)
		})
		lv.names = append(lv.names, name)
	}
	lv.names = append(lv.names, "index")
	sort.Strings(lv.names)
	return lv
}

func (lv *loopValue) String() string {
	state := "idle"
	if lv.e.loop != nil && lv.e.loop.IsRunning() {
		state = "running"
	}
	return fmt.Sprintf("<loop %d %s>", lv.e.index, state)
}

func (lv *loopValue) Type() string          { return "loop" }
func (lv *loopValue) Freeze()               {}
func (lv *loopValue) Truth() starlark.Bool  { return starlark.True }
func (lv *loopValue) Hash() (uint32, error) { return identityHash(lv), nil }
func (lv *loopValue) AttrNames() []string   { return lv.names }

func (lv *loopValue) Attr(name string) (starlark.Value, error) {
	if name == "index" {
		return starlark.MakeInt(lv.e.index), nil
	}
	if b, ok := lv.methods[name]; ok {
		return b, nil
	}
	return nil, noAttr(lv, name)
}

func (lv *loopValue) l() *loop.Loop { return lv.e.loop }

// failedFuture returns a future already failed with err.
func (lv *loopValue) failedFuture(err error) *futureValue {
	f := lv.l().NewFuture()
	_ = f.SetException(err)
	return lv.e.futureValue(f)
}

func (lv *loopValue) time(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fnname, args, kwargs); err != nil {
		return nil, err
	}
	return starlark.Float(lv.l().Time()), nil
}

// callbackArgs splits (fn, *args) after the leading parameters.
func callbackArgs(fnname string, args starlark.Tuple, kwargs []starlark.Tuple, lead int) (starlark.Callable, starlark.Tuple, error) {
	if len(kwargs) > 0 {
		return nil, nil, typeErrorf("%s: unexpected keyword argument %s", fnname, kwargs[0][0])
	}
	if len(args) <= lead {
		return nil, nil, typeErrorf("%s: missing argument for callback", fnname)
	}
	fn, ok := args[lead].(starlark.Callable)
	if !ok {
		return nil, nil, typeErrorf("%s: for parameter callback: got %s, want callable", fnname, args[lead].Type())
	}
	return fn, args[lead+1:], nil
}

// callbackFunc is a scheduled Starlark call; failures are reported.
func (lv *loopValue) callbackFunc(fn starlark.Callable, args starlark.Tuple, hv *handleValue) func() {
	e := lv.e
	return func() {
		_, err := e.call(fn, args)
		if err != nil {
			e.reportCallback(hv.String(), err)
		}
	}
}

func describeCall(fn starlark.Callable, args starlark.Tuple) string {
	s := fn.Name() + args.String()
	if len(args) == 1 {
		s = fn.Name() + "(" + args[0].String() + ")"
	}
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}

func (lv *loopValue) callSoon(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	fn, cargs, err := callbackArgs(fnname, args, kwargs, 0)
	if err != nil {
		return nil, err
	}
	hv := &handleValue{what: describeCall(fn, cargs)}
	hv.h = lv.l().CallSoon(lv.callbackFunc(fn, cargs, hv))
	return hv, nil
}

func (lv *loopValue) callLater(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	fn, cargs, err := callbackArgs(fnname, args, kwargs, 1)
	if err != nil {
		return nil, err
	}
	delay, err := toDuration(fnname, "delay", args[0])
	if err != nil {
		return nil, err
	}
	hv := &handleValue{timer: true, what: describeCall(fn, cargs)}
	hv.h = lv.l().CallLater(delay, lv.callbackFunc(fn, cargs, hv))
	return hv, nil
}

func (lv *loopValue) callAt(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	fn, cargs, err := callbackArgs(fnname, args, kwargs, 1)
	if err != nil {
		return nil, err
	}
	when, ok := starlark.AsFloat(args[0])
	if !ok {
		return nil, typeErrorf("%s: for parameter when: got %s, want float or int", fnname, args[0].Type())
	}
	hv := &handleValue{timer: true, what: describeCall(fn, cargs)}
	hv.h = lv.l().CallAt(when, lv.callbackFunc(fn, cargs, hv))
	return hv, nil
}

func (lv *loopValue) createFuture(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fnname, args, kwargs); err != nil {
		return nil, err
	}
	return lv.e.futureValue(lv.l().NewFuture()), nil
}

func (lv *loopValue) sleep(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var delayV, result starlark.Value = nil, starlark.None
	if err := unpack(fnname, args, kwargs, "delay", &delayV, "result?", &result); err != nil {
		return nil, err
	}
	delay, err := toDuration(fnname, "delay", delayV)
	if err != nil {
		return nil, err
	}
	f := lv.l().NewFuture()
	h := lv.l().CallLater(delay, func() {
		if !f.Done() {
			_ = f.SetResult(result)
		}
	})
	f.AddDoneCallback(func(f *loop.Future) {
		if f.Cancelled() {
			h.Cancel()
		}
	})
	return lv.e.futureValue(f), nil
}

// futureArg reads a future parameter.
func futureArg(fnname, param string, v starlark.Value) (*loop.Future, error) {
	fv, ok := v.(*futureValue)
	if !ok {
		return nil, typeErrorf("%s: for parameter %s: got %s, want future", fnname, param, v.Type())
	}
	return fv.f, nil
}

// copyOutcome completes dst as src completed (src must be done).
func copyOutcome(dst, src *loop.Future) {
	if dst.Done() {
		return
	}
	if src.Cancelled() {
		dst.Cancel()
		return
	}
	v, err := src.Result()
	if err != nil {
		_ = dst.SetException(err)
		return
	}
	_ = dst.SetResult(v)
}

func (lv *loopValue) waitFor(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var futV, timeoutV starlark.Value
	if err := unpack(fnname, args, kwargs, "fut", &futV, "timeout", &timeoutV); err != nil {
		return nil, err
	}
	inner, err := futureArg(fnname, "fut", futV)
	if err != nil {
		return nil, err
	}
	out := lv.l().NewFuture()
	var timer *loop.Handle
	if timeoutV != starlark.None {
		timeout, err := toDuration(fnname, "timeout", timeoutV)
		if err != nil {
			return nil, err
		}
		timer = lv.l().CallLater(timeout, func() {
			if inner.Done() {
				return // its done callback completes out
			}
			inner.Cancel()
			_ = out.SetException(transports.NewError(transports.KindTimeoutError, ""))
		})
	}
	inner.AddDoneCallback(func(inner *loop.Future) {
		if timer != nil {
			timer.Cancel()
		}
		copyOutcome(out, inner)
	})
	out.AddDoneCallback(func(out *loop.Future) {
		if out.Cancelled() {
			if timer != nil {
				timer.Cancel()
			}
			inner.Cancel()
		}
	})
	return lv.e.futureValue(out), nil
}

func (lv *loopValue) gather(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	returnExceptions := false
	if err := unpack(fnname, nil, kwargs, "return_exceptions?", &returnExceptions); err != nil {
		return nil, err
	}
	children := make([]*loop.Future, len(args))
	for i, a := range args {
		f, err := futureArg(fnname, strconv.Itoa(i+1), a)
		if err != nil {
			return nil, err
		}
		children[i] = f
	}
	out := lv.l().NewFuture()
	e := lv.e
	if len(children) == 0 {
		_ = out.SetResult(starlark.NewList(nil))
		return e.futureValue(out), nil
	}
	pending := len(children)
	onChildDone := func(*loop.Future) {
		pending--
		if out.Done() {
			return
		}
		if !returnExceptions {
			for _, c := range children {
				if c.Done() && c.Exception() != nil {
					_ = out.SetException(c.Exception())
					return
				}
			}
		}
		if pending > 0 {
			return
		}
		results := make([]starlark.Value, len(children))
		for i, c := range children {
			if err := c.Exception(); err != nil {
				results[i] = NewErrorValue(err)
				continue
			}
			v, _ := c.Result()
			results[i] = e.fromGo(v)
		}
		_ = out.SetResult(starlark.NewList(results))
	}
	for _, c := range children {
		c.AddDoneCallback(onChildDone)
	}
	out.AddDoneCallback(func(out *loop.Future) {
		if out.Cancelled() {
			for _, c := range children {
				c.Cancel()
			}
		}
	})
	return e.futureValue(out), nil
}

// errLoopRunning is asyncio's RuntimeError for a nested run.
var errLoopRunning error = &loop.Error{Kind: "RuntimeError", Message: "This event loop is already running (run_until_complete and run_forever work only at the top level and in main)"}

func (lv *loopValue) runUntilComplete(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var futV starlark.Value
	returnExceptions := false
	if err := unpack(fnname, args, kwargs, "future", &futV, "return_exceptions?", &returnExceptions); err != nil {
		return nil, err
	}
	f, err := futureArg(fnname, "future", futV)
	if err != nil {
		return nil, err
	}
	if lv.l().IsRunning() {
		return nil, errLoopRunning
	}
	v, err := lv.l().RunUntilComplete(f)
	if lv.e.exited {
		return nil, &exitError{code: lv.e.exitCode}
	}
	if err != nil {
		if !f.Done() {
			// The loop stopped or ran out of work: not the future's error.
			return nil, err
		}
		ev := NewErrorValue(err)
		if returnExceptions {
			return ev, nil
		}
		return nil, failWith(ev)
	}
	return lv.e.fromGo(v), nil
}

func (lv *loopValue) runForever(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fnname, args, kwargs); err != nil {
		return nil, err
	}
	if lv.l().IsRunning() {
		return nil, errLoopRunning
	}
	err := lv.l().RunForever()
	if lv.e.exited {
		return nil, &exitError{code: lv.e.exitCode}
	}
	if err != nil {
		return nil, err
	}
	return starlark.None, nil
}

func (lv *loopValue) stop(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fnname, args, kwargs); err != nil {
		return nil, err
	}
	lv.l().Stop()
	return starlark.None, nil
}

func (lv *loopValue) isRunning(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fnname, args, kwargs); err != nil {
		return nil, err
	}
	return starlark.Bool(lv.l().IsRunning()), nil
}

func (lv *loopValue) isClosed(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fnname, args, kwargs); err != nil {
		return nil, err
	}
	return starlark.Bool(lv.l().IsClosed()), nil
}

// portArg reads a port: an int in 0..65535, or a string of digits; None
// gives def.
func portArg(fnname string, v starlark.Value, def int) (int, bool, error) {
	switch p := v.(type) {
	case nil, starlark.NoneType:
		return def, false, nil
	case starlark.Int:
		n, ok := p.Int64()
		if !ok || n < 0 || n > 65535 {
			return 0, false, valueErrorf("%s: for parameter port: %s out of range 0-65535", fnname, p)
		}
		return int(n), true, nil
	case starlark.String:
		n, err := strconv.Atoi(string(p))
		if err != nil || n < 0 || n > 65535 {
			return 0, false, valueErrorf("%s: for parameter port: %q is not a port number", fnname, string(p))
		}
		return n, true, nil
	}
	return 0, false, typeErrorf("%s: for parameter port: got %s, want int", fnname, v.Type())
}

func (lv *loopValue) createConnection(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var factoryV, hostV, portV, ssl, serverHostname, localAddr, hsTimeout, sdTimeout, heDelay, interleave starlark.Value
	if err := unpack(fnname, args, kwargs,
		"protocol_factory", &factoryV, "host?", &hostV, "port?", &portV, "ssl?", &ssl,
		"server_hostname?", &serverHostname, "local_addr?", &localAddr,
		"ssl_handshake_timeout?", &hsTimeout, "ssl_shutdown_timeout?", &sdTimeout,
		"happy_eyeballs_delay?", &heDelay, "interleave?", &interleave); err != nil {
		return nil, err
	}
	factory, err := lv.e.connectionFactory(fnname, factoryV)
	if err != nil {
		return nil, err
	}
	tlsOpts, err := lv.e.clientTLSArgs(fnname, ssl, serverHostname, hsTimeout, sdTimeout)
	if err != nil {
		return nil, err
	}
	host, hasHost, err := optionalString(fnname, "host", hostV)
	if err != nil {
		return nil, err
	}
	port, hasPort, err := portArg(fnname, portV, 0)
	if err != nil {
		return nil, err
	}
	if !hasHost || !hasPort {
		return nil, valueErrorf("%s: host and port was not specified and no sock specified", fnname)
	}
	var opts transports.DialOptions
	if localAddr != nil && localAddr != starlark.None {
		h, p, err := hostPortOf(fnname, "local_addr", localAddr)
		if err != nil {
			return nil, err
		}
		if err := lv.e.perms.checkLocalAddr(h, p); err != nil {
			return lv.failedFuture(err), nil
		}
		opts.LocalAddr = net.JoinHostPort(h, strconv.Itoa(p))
	}
	if heDelay != nil && heDelay != starlark.None {
		if opts.HappyEyeballsDelay, err = toDuration(fnname, "happy_eyeballs_delay", heDelay); err != nil {
			return nil, err
		}
	}
	access, err := lv.e.perms.checkConnect(host, port)
	if err != nil {
		return lv.failedFuture(err), nil
	}
	opts.Check = lv.e.perms.addrCheck(host, port, access)
	lv.e.applyDial(tlsOpts, &opts, host)
	return lv.e.futureValue(transports.CreateConnection(lv.l(), factory, host, port, opts)), nil
}

// listenOptions reads create_server's shared keyword arguments.
func listenOptions(fnname string, reuseAddress, reusePort starlark.Value, backlog int, startServing bool) (transports.ListenOptions, error) {
	var opts transports.ListenOptions
	if reuseAddress != nil && reuseAddress != starlark.None {
		b, ok := reuseAddress.(starlark.Bool)
		if !ok {
			return opts, typeErrorf("%s: for parameter reuse_address: got %s, want bool", fnname, reuseAddress.Type())
		}
		v := bool(b)
		opts.ReuseAddress = &v
	}
	if reusePort != nil && reusePort != starlark.None {
		b, ok := reusePort.(starlark.Bool)
		if !ok {
			return opts, typeErrorf("%s: for parameter reuse_port: got %s, want bool", fnname, reusePort.Type())
		}
		opts.ReusePort = bool(b)
	}
	if backlog < 0 {
		return opts, valueErrorf("%s: for parameter backlog: %d is negative", fnname, backlog)
	}
	opts.Backlog = backlog
	opts.DelayServing = !startServing
	return opts, nil
}

// trackServerFuture registers the server once f resolves, so that Shutdown
// closes it even if the script never reads the result.
func (lv *loopValue) trackServerFuture(f *loop.Future) {
	e := lv.e
	f.AddDoneCallback(func(f *loop.Future) {
		if v, err := f.Result(); err == nil {
			if s, ok := v.(*transports.Server); ok {
				e.serverValue(s)
				if e.draining {
					s.Close()
					delete(e.servers, s)
				}
			}
		}
	})
}

// sockFile duplicates a socket value's descriptor as an *os.File for the
// transports (which duplicate it again); the caller closes it once the
// operation is done.
func sockFile(fnname string, v starlark.Value) (*os.File, error) {
	sv, ok := v.(*socketValue)
	if !ok {
		return nil, typeErrorf("%s: for parameter sock: got %s, want socket", fnname, v.Type())
	}
	fd := sv.s.Fileno()
	if fd < 0 {
		return nil, failWith(NewErrorValue(transports.NewError(transports.KindOSError, "the socket is closed")))
	}
	dup, err := dupCloexec(fd)
	if err != nil {
		return nil, failWith(NewErrorValue(fmt.Errorf("dup socket %d: %w", fd, err)))
	}
	return os.NewFile(uintptr(dup), "socket"), nil
}

// closeWhenDone closes f once fut is done.
func closeWhenDone(fut *loop.Future, f *os.File) {
	fut.AddDoneCallback(func(*loop.Future) { _ = f.Close() })
}

func (lv *loopValue) createServer(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var factoryV, hostV, portV, ssl, reuseAddress, reusePort, hsTimeout, sdTimeout, sock, family, flags, keepAlive starlark.Value
	backlog, startServing := 100, true
	if err := unpack(fnname, args, kwargs,
		"protocol_factory", &factoryV, "host?", &hostV, "port?", &portV,
		"family?", &family, "flags?", &flags, "sock?", &sock, "backlog?", &backlog, "ssl?", &ssl,
		"reuse_address?", &reuseAddress, "reuse_port?", &reusePort, "keep_alive?", &keepAlive,
		"ssl_handshake_timeout?", &hsTimeout, "ssl_shutdown_timeout?", &sdTimeout,
		"start_serving?", &startServing); err != nil {
		return nil, err
	}
	factory, opts, err := lv.serverArgs(fnname, factoryV, ssl, hsTimeout, sdTimeout, reuseAddress, reusePort, backlog, startServing)
	if err != nil {
		return nil, err
	}
	host, hasHost, err := hostsArg(fnname, hostV)
	if err != nil {
		return nil, err
	}
	port, hasPort, err := portArg(fnname, portV, 0)
	if err != nil {
		return nil, err
	}
	if sock != nil && sock != starlark.None {
		if hasHost || hasPort {
			return nil, valueErrorf("%s: host/port and sock can not be specified at the same time", fnname)
		}
		return lv.serveOnSock(fnname, sock, opts, func(opts transports.ListenOptions) *loop.Future {
			return transports.CreateServer(lv.l(), factory, "", 0, opts)
		})
	}
	bindHost := host
	if bindHost == "" {
		bindHost = "0.0.0.0"
	}
	access, err := lv.e.perms.checkNet(bindHost, port)
	if err != nil {
		return lv.failedFuture(err), nil
	}
	opts.Check = lv.e.perms.bindCheck(host, port, access)
	return lv.serverFuture(lv.e.createServer(lv.l(), factory, host, port, opts)), nil
}

// serverArgs reads what create_server and create_unix_server take alike:
// the protocol factory, the TLS arguments and the listening options.
func (lv *loopValue) serverArgs(fnname string, factoryV, ssl, hsTimeout, sdTimeout, reuseAddress, reusePort starlark.Value, backlog int, startServing bool) (transports.ProtocolFactory, transports.ListenOptions, error) {
	factory, err := lv.e.factoryArg(fnname, factoryV)
	if err != nil {
		return nil, transports.ListenOptions{}, err
	}
	tlsOpts, err := lv.e.serverTLSArgs(fnname, false, ssl, hsTimeout, sdTimeout)
	if err != nil {
		return nil, transports.ListenOptions{}, err
	}
	opts, err := listenOptions(fnname, reuseAddress, reusePort, backlog, startServing)
	if err != nil {
		return nil, transports.ListenOptions{}, err
	}
	lv.e.applyListen(tlsOpts, &opts)
	return factory, opts, nil
}

// serveOnSock serves on a listening socket handed over by the host
// (os.listen_fds()): whoever opened it allowed it, so there is no
// permission check. create starts the server with opts.File set.
func (lv *loopValue) serveOnSock(fnname string, sock starlark.Value, opts transports.ListenOptions, create func(transports.ListenOptions) *loop.Future) (starlark.Value, error) {
	f, err := sockFile(fnname, sock)
	if err != nil {
		return nil, err
	}
	opts.File = f
	fut := create(opts)
	closeWhenDone(fut, f)
	return lv.serverFuture(fut), nil
}

// serverFuture tracks the server that fut makes and returns fut's value.
func (lv *loopValue) serverFuture(fut *loop.Future) starlark.Value {
	lv.trackServerFuture(fut)
	return lv.e.futureValue(fut)
}

// hostsArg reads create_server's host: None or "" (every interface), or a
// string.
func hostsArg(fnname string, v starlark.Value) (string, bool, error) {
	switch h := v.(type) {
	case nil, starlark.NoneType:
		return "", false, nil
	case starlark.String:
		return string(h), true, nil
	}
	return "", false, typeErrorf("%s: for parameter host: got %s, want string or None", fnname, v.Type())
}

func (lv *loopValue) createUnixConnection(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var factoryV, pathV, ssl, sock, serverHostname, hsTimeout, sdTimeout starlark.Value
	if err := unpack(fnname, args, kwargs,
		"protocol_factory", &factoryV, "path?", &pathV, "ssl?", &ssl, "sock?", &sock,
		"server_hostname?", &serverHostname,
		"ssl_handshake_timeout?", &hsTimeout, "ssl_shutdown_timeout?", &sdTimeout); err != nil {
		return nil, err
	}
	factory, err := lv.e.connectionFactory(fnname, factoryV)
	if err != nil {
		return nil, err
	}
	tlsOpts, err := lv.e.clientTLSArgs(fnname, ssl, serverHostname, hsTimeout, sdTimeout)
	if err != nil {
		return nil, err
	}
	if sock != nil && sock != starlark.None {
		return nil, valueErrorf("%s: sock is not supported; pass path", fnname)
	}
	path, ok, err := optionalString(fnname, "path", pathV)
	if err != nil {
		return nil, err
	}
	if !ok || path == "" {
		return nil, valueErrorf("%s: no path and sock were specified", fnname)
	}
	if err := lv.e.perms.checkUnixConnect(path); err != nil {
		return lv.failedFuture(err), nil
	}
	opts := transports.DialOptions{Check: lv.e.perms.unixAddrCheck(false)}
	lv.e.applyDial(tlsOpts, &opts, "")
	return lv.e.futureValue(transports.CreateUnixConnection(lv.l(), factory, path, opts)), nil
}

func (lv *loopValue) createUnixServer(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var factoryV, pathV, ssl, sock, hsTimeout, sdTimeout, cleanup starlark.Value
	backlog, startServing := 100, true
	if err := unpack(fnname, args, kwargs,
		"protocol_factory", &factoryV, "path?", &pathV, "sock?", &sock, "backlog?", &backlog,
		"ssl?", &ssl, "ssl_handshake_timeout?", &hsTimeout, "ssl_shutdown_timeout?", &sdTimeout,
		"start_serving?", &startServing, "cleanup_socket?", &cleanup); err != nil {
		return nil, err
	}
	factory, opts, err := lv.serverArgs(fnname, factoryV, ssl, hsTimeout, sdTimeout, nil, nil, backlog, startServing)
	if err != nil {
		return nil, err
	}
	path, hasPath, err := optionalString(fnname, "path", pathV)
	if err != nil {
		return nil, err
	}
	if sock != nil && sock != starlark.None {
		if hasPath {
			return nil, valueErrorf("%s: path and sock can not be specified at the same time", fnname)
		}
		return lv.serveOnSock(fnname, sock, opts, func(opts transports.ListenOptions) *loop.Future {
			return transports.CreateUnixServer(lv.l(), factory, "", opts)
		})
	}
	if !hasPath || path == "" {
		return nil, valueErrorf("%s: path was not specified, and no sock specified", fnname)
	}
	if err := lv.e.perms.checkUnixListen(path); err != nil {
		return lv.failedFuture(err), nil
	}
	opts.Check = lv.e.perms.unixAddrCheck(true)
	return lv.serverFuture(lv.e.createUnixServer(lv.l(), factory, path, opts)), nil
}

func (lv *loopValue) connectAcceptedSocket(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var factoryV, sock, ssl, hsTimeout, sdTimeout starlark.Value
	if err := unpack(fnname, args, kwargs,
		"protocol_factory", &factoryV, "sock", &sock, "ssl?", &ssl,
		"ssl_handshake_timeout?", &hsTimeout, "ssl_shutdown_timeout?", &sdTimeout); err != nil {
		return nil, err
	}
	factory, err := lv.e.connectionFactory(fnname, factoryV)
	if err != nil {
		return nil, err
	}
	tlsOpts, err := lv.e.serverTLSArgs(fnname, true, ssl, hsTimeout, sdTimeout)
	if err != nil {
		return nil, err
	}
	// The socket was connected by whoever handed it over: no permission check.
	f, err := sockFile(fnname, sock)
	if err != nil {
		return nil, err
	}
	var fut *loop.Future
	if tlsOpts.ctx != nil {
		fut = transports.ConnectAcceptedSocketTLS(lv.l(), factory, f, lv.e.serverConfig(tlsOpts.ctx), tlsOpts.handshake, tlsOpts.shutdown)
	} else {
		fut = transports.ConnectAcceptedSocket(lv.l(), factory, f)
	}
	closeWhenDone(fut, f)
	return lv.e.futureValue(fut), nil
}

func (lv *loopValue) getaddrinfo(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var hostV, portV starlark.Value
	var family, typ, proto, flags int
	if err := unpack(fnname, args, kwargs, "host", &hostV, "port", &portV,
		"family?", &family, "type?", &typ, "proto?", &proto, "flags?", &flags); err != nil {
		return nil, err
	}
	host, ok, err := optionalString(fnname, "host", hostV)
	if err != nil {
		return nil, err
	}
	if !ok {
		host = "localhost"
	}
	port, hasPort, err := portArg(fnname, portV, 0)
	if err != nil {
		return nil, err
	}
	target := port
	if !hasPort {
		target = -1
	}
	access, err := lv.e.perms.checkNet(host, target)
	if err != nil {
		return lv.failedFuture(err), nil
	}
	fut := transports.GetAddrInfo(lv.l(), host, port)
	if access == netCheckResolve {
		fut = lv.allowedAddrInfos(fut, host, target)
	}
	return lv.e.futureValue(fut), nil
}

// allowedAddrInfos keeps the resolved addresses that --allow-net allows; if
// none is left, the result is a PermissionError.
func (lv *loopValue) allowedAddrInfos(fut *loop.Future, host string, port int) *loop.Future {
	out := lv.l().NewFuture()
	perms := lv.e.perms
	fut.AddDoneCallback(func(fut *loop.Future) {
		v, err := fut.Result()
		infos, ok := v.([]transports.AddrInfo)
		if err != nil || !ok {
			copyOutcome(out, fut)
			return
		}
		var allowed []transports.AddrInfo
		for _, ai := range infos {
			if perms.allowsIP(ai.IP, port) {
				allowed = append(allowed, ai)
			}
		}
		if len(allowed) == 0 {
			_ = out.SetException(netDenied(host, port))
			return
		}
		_ = out.SetResult(allowed)
	})
	return out
}

// signalArg reads a signal number.
func signalArg(fnname string, v starlark.Value) (syscall.Signal, error) {
	var n int
	if err := starlark.AsInt(v, &n); err != nil {
		return 0, typeErrorf("%s: for parameter sig: got %s, want int", fnname, v.Type())
	}
	if n <= 0 || n >= 65 {
		return 0, valueErrorf("%s: for parameter sig: signal number %d out of range", fnname, n)
	}
	return syscall.Signal(n), nil
}

func (lv *loopValue) addSignalHandler(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	fn, cargs, err := callbackArgs(fnname, args, kwargs, 1)
	if err != nil {
		return nil, err
	}
	sig, err := signalArg(fnname, args[0])
	if err != nil {
		return nil, err
	}
	e := lv.e
	what := fmt.Sprintf("signal handler %s for signal %d", describeCall(fn, cargs), int(sig))
	if err := lv.l().AddSignalHandler(sig, func() {
		_, err := e.call(fn, cargs)
		e.reportCallback(what, err)
	}); err != nil {
		return nil, failWith(NewErrorValue(err))
	}
	lv.scriptSi[sig] = true
	e.setDefaultBit(sig, false)
	return starlark.None, nil
}

func (lv *loopValue) removeSignalHandler(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var sigV starlark.Value
	if err := unpack(fnname, args, kwargs, "sig", &sigV); err != nil {
		return nil, err
	}
	sig, err := signalArg(fnname, sigV)
	if err != nil {
		return nil, err
	}
	if !lv.scriptSi[sig] {
		return starlark.False, nil
	}
	delete(lv.scriptSi, sig)
	if lv.e.defaultSi[sig] {
		lv.e.setDefaultSignal(sig) // back to the default drain-and-exit
		return starlark.True, nil
	}
	return starlark.Bool(lv.l().RemoveSignalHandler(sig)), nil
}

func (lv *loopValue) setExceptionHandler(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var fn starlark.Value
	if err := unpack(fnname, args, kwargs, "handler", &fn); err != nil {
		return nil, err
	}
	if fn == starlark.None {
		lv.excFn = nil
		lv.l().SetExceptionHandler(nil)
		return starlark.None, nil
	}
	if _, ok := fn.(starlark.Callable); !ok {
		return nil, typeErrorf("%s: for parameter handler: got %s, want callable or None", fnname, fn.Type())
	}
	lv.excFn = fn
	lv.l().SetExceptionHandler(func(l *loop.Loop, ctx loop.ErrorContext) { lv.callScriptHandler(fn, ctx) })
	return starlark.None, nil
}

// callScriptHandler calls the script's exception handler; if it fails, the
// default handler reports both.
func (lv *loopValue) callScriptHandler(fn starlark.Value, ctx loop.ErrorContext) {
	_, err := lv.e.call(fn, starlark.Tuple{lv, lv.e.contextDict(ctx)})
	if err != nil && !isExit(err) {
		lv.l().DefaultExceptionHandler(loop.ErrorContext{
			Message: "Unhandled error in exception handler",
			Err:     err,
			Extra:   map[string]any{"context": ctx},
		})
	}
}

func (lv *loopValue) getExceptionHandler(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fnname, args, kwargs); err != nil {
		return nil, err
	}
	if lv.excFn == nil {
		return starlark.None, nil
	}
	return lv.excFn, nil
}

func (lv *loopValue) callExceptionHandler(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	return handleContext(fnname, args, kwargs, lv.l().CallExceptionHandler)
}

func (lv *loopValue) defaultExceptionHandler(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	return handleContext(fnname, args, kwargs, lv.l().DefaultExceptionHandler)
}

// handleContext reads the context dict argument and passes it to handle.
func handleContext(fnname string, args starlark.Tuple, kwargs []starlark.Tuple, handle func(loop.ErrorContext)) (starlark.Value, error) {
	var d *starlark.Dict
	if err := unpack(fnname, args, kwargs, "context", &d); err != nil {
		return nil, err
	}
	ctx, err := contextFromDict(fnname, d)
	if err != nil {
		return nil, err
	}
	handle(ctx)
	return starlark.None, nil
}

func (lv *loopValue) setDebug(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var on bool
	if err := unpack(fnname, args, kwargs, "enabled", &on); err != nil {
		return nil, err
	}
	lv.l().SetDebug(on)
	return starlark.None, nil
}

func (lv *loopValue) getDebug(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fnname, args, kwargs); err != nil {
		return nil, err
	}
	return starlark.Bool(lv.l().GetDebug()), nil
}

// contextDict converts an exception context to asyncio's dict: message,
// exception, transport and protocol (None when absent), then the extra keys.
func (e *Env) contextDict(ctx loop.ErrorContext) *starlark.Dict {
	d := starlark.NewDict(4 + len(ctx.Extra))
	msg := ctx.Message
	if msg == "" {
		msg = "Unhandled exception in event loop"
	}
	_ = d.SetKey(starlark.String("message"), starlark.String(msg))
	var exc starlark.Value = starlark.None
	if ev := NewErrorValue(ctx.Err); ev != nil {
		exc = ev
	}
	_ = d.SetKey(starlark.String("exception"), exc)
	_ = d.SetKey(starlark.String("transport"), e.fromGo(ctx.Transport))
	_ = d.SetKey(starlark.String("protocol"), e.fromGo(ctx.Protocol))
	keys := make([]string, 0, len(ctx.Extra))
	for k := range ctx.Extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		_ = d.SetKey(starlark.String(k), e.fromGo(ctx.Extra[k]))
	}
	return d
}

// contextFromDict converts a script's context dict back.
func contextFromDict(fnname string, d *starlark.Dict) (loop.ErrorContext, error) {
	var ctx loop.ErrorContext
	for _, item := range d.Items() {
		k, ok := item[0].(starlark.String)
		if !ok {
			return ctx, typeErrorf("%s: for parameter context: key %s is not a string", fnname, item[0])
		}
		v := item[1]
		switch string(k) {
		case "message":
			s, ok := v.(starlark.String)
			if !ok {
				return ctx, typeErrorf("%s: for parameter context: message is %s, want string", fnname, v.Type())
			}
			ctx.Message = string(s)
		case "exception":
			switch ev := v.(type) {
			case starlark.NoneType:
			case *ErrorValue:
				ctx.Err = ev.goError()
			case starlark.String:
				ctx.Err = newError(kindException, string(ev)).err
			default:
				return ctx, typeErrorf("%s: for parameter context: exception is %s, want an error value", fnname, v.Type())
			}
		case "transport":
			if v != starlark.None {
				ctx.Transport = v
			}
		case "protocol":
			if v != starlark.None {
				ctx.Protocol = v
			}
		default:
			if ctx.Extra == nil {
				ctx.Extra = make(map[string]any)
			}
			ctx.Extra[string(k)] = v
		}
	}
	return ctx, nil
}
