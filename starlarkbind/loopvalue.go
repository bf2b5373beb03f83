package starlarkbind

import (
	"fmt"
	"net"
	"os"
	"sort"
	"strconv"
	"syscall"

	"github.com/starnet-dev/starnet/loop"
	"github.com/starnet-dev/starnet/starlarkbind/internal/bind"
	"github.com/starnet-dev/starnet/transports"
	"go.starlark.net/starlark"
)

// The `loop` value (API.md "The loop"). Everything that is a coroutine in asyncio
// returns a Future. Permission checks of calls that return a Future fail
// the Future; wrong arguments fail the call at once.

// loopValue is the predeclared `loop`.
type loopValue struct {
	e        *Env
	bound    bind.Bound     // its methods, bound on first use
	excFn    starlark.Value // the script's exception handler, or nil
	scriptSi map[syscall.Signal]bool
}

var _ starlark.HasAttrs = (*loopValue)(nil)

// loopMethods are the loop's methods and attributes, one line each.
var loopMethods = bind.NewMethods("loop", map[string]bind.Method[*loopValue]{
	"index":                     {Get: (*loopValue).index},
	"time":                      {Fn0: (*loopValue).time},
	"call_soon":                 {Fn: (*loopValue).callSoon},
	"call_later":                {Fn: (*loopValue).callLater},
	"call_at":                   {Fn: (*loopValue).callAt},
	"create_future":             {Fn0: (*loopValue).createFuture},
	"sleep":                     {Fn: (*loopValue).sleep},
	"wait_for":                  {Fn: (*loopValue).waitFor},
	"gather":                    {Fn: (*loopValue).gather},
	"run_until_complete":        {Fn: (*loopValue).runUntilComplete},
	"run_forever":               {Fn0: (*loopValue).runForever},
	"stop":                      {Fn0: (*loopValue).stop},
	"is_running":                {Fn0: (*loopValue).isRunning},
	"is_closed":                 {Fn0: (*loopValue).isClosed},
	"create_connection":         {Fn: (*loopValue).createConnection},
	"create_server":             {Fn: (*loopValue).createServer},
	"create_unix_connection":    {Fn: (*loopValue).createUnixConnection},
	"create_unix_server":        {Fn: (*loopValue).createUnixServer},
	"connect_accepted_socket":   {Fn: (*loopValue).connectAcceptedSocket},
	"start_tls":                 {Fn: (*loopValue).startTLS},
	"create_datagram_endpoint":  {Fn: (*loopValue).createDatagramEndpoint},
	"connect_read_pipe":         {Fn: (*loopValue).connectReadPipe},
	"connect_write_pipe":        {Fn: (*loopValue).connectWritePipe},
	"subprocess_exec":           {Fn: (*loopValue).subprocessExec},
	"subprocess_shell":          {Fn: (*loopValue).subprocessShell},
	"sendfile":                  {Fn: (*loopValue).sendfile},
	"getaddrinfo":               {Fn: (*loopValue).getaddrinfo},
	"add_signal_handler":        {Fn: (*loopValue).addSignalHandler},
	"remove_signal_handler":     {Fn: (*loopValue).removeSignalHandler},
	"set_exception_handler":     {Fn: (*loopValue).setExceptionHandler},
	"get_exception_handler":     {Fn0: (*loopValue).getExceptionHandler},
	"call_exception_handler":    {Fn: (*loopValue).callExceptionHandler},
	"default_exception_handler": {Fn: (*loopValue).defaultExceptionHandler},
	"set_debug":                 {Fn: (*loopValue).setDebug},
	"get_debug":                 {Fn0: (*loopValue).getDebug},
	"create_task":               {Fn: (*loopValue).createTask},
	"current_task":              {Fn: (*loopValue).currentTaskMethod},
	"Lock":                      {Fn0: (*loopValue).newLock},
	"Event":                     {Fn0: (*loopValue).newEvent},
	"Semaphore":                 {Fn: (*loopValue).newSemaphore},
	"BoundedSemaphore":          {Fn: (*loopValue).newBoundedSemaphore},
	"Queue":                     {Fn: (*loopValue).newQueue},
	"wait":                      {Fn: (*loopValue).wait},
	"as_completed":              {Fn: (*loopValue).asCompleted},
	"ALL_COMPLETED":             {Get: loopConstant("ALL_COMPLETED")},
	"FIRST_COMPLETED":           {Get: loopConstant("FIRST_COMPLETED")},
	"FIRST_EXCEPTION":           {Get: loopConstant("FIRST_EXCEPTION")},
	"open_connection":           {Fn: (*loopValue).openConnection},
	"open_unix_connection":      {Fn: (*loopValue).openUnixConnection},
	"start_server":              {Fn: (*loopValue).startServer},
	"start_unix_server":         {Fn: (*loopValue).startUnixServer},
})

// loopConstant returns the getter of one of loopConstants.
func loopConstant(name string) func(*loopValue) (starlark.Value, error) {
	v := loopConstants[name]
	return func(*loopValue) (starlark.Value, error) { return v, nil }
}

func newLoopValue(e *Env) *loopValue {
	return &loopValue{e: e, scriptSi: make(map[syscall.Signal]bool)}
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
func (lv *loopValue) AttrNames() []string   { return loopMethods.AttrNames(lv) }

func (lv *loopValue) Attr(name string) (starlark.Value, error) {
	return loopMethods.Attr(lv, &lv.bound, name)
}

// index is loop.index, the loop's number (0 for the main env's).
func (lv *loopValue) index() (starlark.Value, error) { return starlark.MakeInt(lv.e.index), nil }

func (lv *loopValue) l() *loop.Loop { return lv.e.loop }

// failedFuture returns a future already failed with err.
func (lv *loopValue) failedFuture(err error) *futureValue {
	f := lv.l().NewFuture()
	_ = f.SetException(err)
	return lv.e.futureValue(f)
}

func (lv *loopValue) time() (starlark.Value, error) {
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
		return nil, nil, bind.UnpackArg(fnname, "callback", args[lead], new(starlark.Callable))
	}
	return fn, args[lead+1:], nil
}

// callbackFunc is a scheduled Starlark call; failures are reported.
func (lv *loopValue) callbackFunc(fn starlark.Callable, args starlark.Tuple, hv *handleValue) func() {
	e := lv.e
	return func() {
		_, err := e.call(fn, args)
		if err != nil {
			e.reportFailedCallback(e.callbackSource(fn, args), err, hv.h, nil)
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
	lv.e.noteHandle(hv.h, fn, cargs)
	return hv, nil
}

func (lv *loopValue) callLater(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	fn, cargs, err := callbackArgs(fnname, args, kwargs, 1)
	if err != nil {
		return nil, err
	}
	var delay bind.Seconds // unpacked without UnpackArg, which would allocate it
	if delay.Unpack(args[0]) != nil {
		return nil, bind.UnpackArg(fnname, "delay", args[0], new(bind.Seconds))
	}
	hv := &handleValue{timer: true, what: describeCall(fn, cargs)}
	hv.h = lv.l().CallLater(delay.Duration(), lv.callbackFunc(fn, cargs, hv))
	lv.e.noteHandle(hv.h, fn, cargs)
	return hv, nil
}

func (lv *loopValue) callAt(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	fn, cargs, err := callbackArgs(fnname, args, kwargs, 1)
	if err != nil {
		return nil, err
	}
	var when bind.Number // unpacked without UnpackArg, which would allocate it
	if when.Unpack(args[0]) != nil {
		return nil, bind.UnpackArg(fnname, "when", args[0], new(bind.Number))
	}
	hv := &handleValue{timer: true, what: describeCall(fn, cargs)}
	hv.h = lv.l().CallAt(float64(when), lv.callbackFunc(fn, cargs, hv))
	lv.e.noteHandle(hv.h, fn, cargs)
	return hv, nil
}

func (lv *loopValue) createFuture() (starlark.Value, error) {
	return lv.e.futureValue(lv.l().NewFuture()), nil
}

func (lv *loopValue) sleep(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var delay bind.Seconds
	var result starlark.Value = starlark.None
	if err := unpack(fnname, args, kwargs, "delay", &delay, "result?", &result); err != nil {
		return nil, err
	}
	f := lv.l().NewFuture()
	set := func() {
		if !f.Done() {
			_ = f.SetResult(result)
		}
	}
	var h *loop.Handle
	if delay.Duration() <= 0 {
		h = lv.l().CallSoon(set)
		lv.e.noteYield(f)
	} else {
		h = lv.l().CallLater(delay.Duration(), set)
	}
	f.AddDoneCallback(func(f *loop.Future) {
		if f.Cancelled() {
			h.Cancel()
		}
	})
	return lv.e.futureValue(f), nil
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
	var fut futureArg
	var timeoutArg bind.OptionalSeconds
	if err := unpack(fnname, args, kwargs, "fut", &fut, "timeout", &timeoutArg); err != nil {
		return nil, err
	}
	inner := fut.f
	timeout := loop.NoTimeout
	if timeoutArg.Set {
		timeout = timeoutArg.Duration()
	}
	return lv.e.futureValue(lv.l().WaitFor(inner, timeout)), nil
}

func (lv *loopValue) gather(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	returnExceptions := false
	if err := unpack(fnname, nil, kwargs, "return_exceptions?", &returnExceptions); err != nil {
		return nil, err
	}
	children := make([]*loop.Future, len(args))
	for i, a := range args {
		var child futureArg
		if err := bind.UnpackArg(fnname, strconv.Itoa(i+1), a, &child); err != nil {
			return nil, err
		}
		children[i] = child.f
	}
	return lv.e.futureValue(lv.l().Gather(returnExceptions, children...)), nil
}

// errLoopRunning is asyncio's RuntimeError for a nested run.
var errLoopRunning error = &loop.Error{Kind: "RuntimeError", Message: "This event loop is already running (run_until_complete and run_forever work only at the top level and in main)"}

func (lv *loopValue) runUntilComplete(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var fut futureArg
	returnExceptions := false
	if err := unpack(fnname, args, kwargs, "future", &fut, "return_exceptions?", &returnExceptions); err != nil {
		return nil, err
	}
	f := fut.f
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

func (lv *loopValue) runForever() (starlark.Value, error) {
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

func (lv *loopValue) stop() (starlark.Value, error) {
	lv.l().Stop()
	return starlark.None, nil
}

func (lv *loopValue) isRunning() (starlark.Value, error) {
	return starlark.Bool(lv.l().IsRunning()), nil
}

func (lv *loopValue) isClosed() (starlark.Value, error) {
	return starlark.Bool(lv.l().IsClosed()), nil
}

func (lv *loopValue) createConnection(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var factory factoryArg
	var host, serverHostname bind.OptionalString
	var port bind.Port
	var ssl sslArg
	var localAddr bind.HostPort
	var hsTimeout, sdTimeout, heDelay bind.OptionalSeconds
	var interleave starlark.Value
	if err := unpack(fnname, args, kwargs,
		"protocol_factory", &factory, "host?", &host, "port?", &port, "ssl?", &ssl,
		"server_hostname?", &serverHostname, "local_addr?", &localAddr,
		"ssl_handshake_timeout?", &hsTimeout, "ssl_shutdown_timeout?", &sdTimeout,
		"happy_eyeballs_delay?", &heDelay, "interleave?", &interleave); err != nil {
		return nil, err
	}
	pf, err := lv.e.connectionFactory(fnname, factory.v)
	if err != nil {
		return nil, err
	}
	tlsOpts, err := lv.e.clientTLSArgs(fnname, ssl, serverHostname, hsTimeout, sdTimeout)
	if err != nil {
		return nil, err
	}
	if !host.Set || !port.Set {
		return nil, valueErrorf("%s: host and port was not specified and no sock specified", fnname)
	}
	var opts transports.DialOptions
	if localAddr.Set {
		if err := lv.e.perms.checkLocalAddr(localAddr.Host, localAddr.Port); err != nil {
			return lv.failedFuture(err), nil
		}
		opts.LocalAddr = net.JoinHostPort(localAddr.Host, strconv.Itoa(localAddr.Port))
	}
	opts.HappyEyeballsDelay = heDelay.Duration()
	access, err := lv.e.perms.checkConnect(host.S, port.N)
	if err != nil {
		return lv.failedFuture(err), nil
	}
	opts.Check = lv.e.perms.addrCheck(host.S, port.N, access)
	lv.e.applyDial(tlsOpts, &opts, host.S)
	return lv.e.futureValue(transports.CreateConnection(lv.l(), pf, host.S, port.N, opts)), nil
}

// listenOptions makes the options of create_server's shared keyword arguments.
func listenOptions(reuseAddress, reusePort bind.OptionalBool, backlog int, startServing bool) transports.ListenOptions {
	var opts transports.ListenOptions
	if reuseAddress.Set {
		v := reuseAddress.B
		opts.ReuseAddress = &v
	}
	opts.ReusePort = reusePort.B
	opts.Backlog = backlog
	opts.DelayServing = !startServing
	return opts
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
func sockFile(sv *socketValue) (*os.File, error) {
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
	var factory factoryArg
	var host bind.OptionalString
	var port bind.Port
	var ssl = sslArg{server: true}
	var reuseAddress, reusePort bind.OptionalBool
	var hsTimeout, sdTimeout bind.OptionalSeconds
	var sock sockArg
	var family, flags, keepAlive starlark.Value
	backlog, startServing := bind.Count{N: 100}, true
	if err := unpack(fnname, args, kwargs,
		"protocol_factory", &factory, "host?", &host, "port?", &port,
		"family?", &family, "flags?", &flags, "sock??", &sock, "backlog?", &backlog, "ssl?", &ssl,
		"reuse_address?", &reuseAddress, "reuse_port?", &reusePort, "keep_alive?", &keepAlive,
		"ssl_handshake_timeout?", &hsTimeout, "ssl_shutdown_timeout?", &sdTimeout,
		"start_serving?", &startServing); err != nil {
		return nil, err
	}
	pf, opts, err := lv.serverArgs(fnname, factory, ssl, hsTimeout, sdTimeout, reuseAddress, reusePort, backlog, startServing)
	if err != nil {
		return nil, err
	}
	if sock.sv != nil {
		if host.Set || port.Set {
			return nil, valueErrorf("%s: host/port and sock can not be specified at the same time", fnname)
		}
		return lv.serveOnSock(sock.sv, opts, func(opts transports.ListenOptions) *loop.Future {
			return transports.CreateServer(lv.l(), pf, "", 0, opts)
		})
	}
	access, err := lv.e.perms.checkNet(bindHost(host.S), port.N)
	if err != nil {
		return lv.failedFuture(err), nil
	}
	opts.Check = lv.e.perms.bindCheck(host.S, port.N, access)
	return lv.serverFuture(lv.e.createServer(lv.l(), pf, host.S, port.N, opts)), nil
}

// serverArgs reads what create_server and create_unix_server take alike:
// the protocol factory, the TLS arguments and the listening options.
func (lv *loopValue) serverArgs(fnname string, factory factoryArg, ssl sslArg, hsTimeout, sdTimeout bind.OptionalSeconds, reuseAddress, reusePort bind.OptionalBool, backlog bind.Count, startServing bool) (transports.ProtocolFactory, transports.ListenOptions, error) {
	pf, err := lv.e.factoryArg(fnname, factory.v)
	if err != nil {
		return nil, transports.ListenOptions{}, err
	}
	tlsOpts, err := lv.e.serverTLSArgs(fnname, false, ssl, hsTimeout, sdTimeout)
	if err != nil {
		return nil, transports.ListenOptions{}, err
	}
	opts := listenOptions(reuseAddress, reusePort, backlog.N, startServing)
	lv.e.applyListen(tlsOpts, &opts)
	return pf, opts, nil
}

// serveOnSock serves on a listening socket handed over by the host
// (os.listen_fds()): whoever opened it allowed it, so there is no
// permission check. create starts the server with opts.File set.
func (lv *loopValue) serveOnSock(sock *socketValue, opts transports.ListenOptions, create func(transports.ListenOptions) *loop.Future) (starlark.Value, error) {
	f, err := sockFile(sock)
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

func (lv *loopValue) createUnixConnection(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var factory factoryArg
	var path, serverHostname bind.OptionalString
	var ssl sslArg
	var sock starlark.Value
	var hsTimeout, sdTimeout bind.OptionalSeconds
	if err := unpack(fnname, args, kwargs,
		"protocol_factory", &factory, "path?", &path, "ssl?", &ssl, "sock?", &sock,
		"server_hostname?", &serverHostname,
		"ssl_handshake_timeout?", &hsTimeout, "ssl_shutdown_timeout?", &sdTimeout); err != nil {
		return nil, err
	}
	pf, err := lv.e.connectionFactory(fnname, factory.v)
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
	if path.S == "" {
		return nil, valueErrorf("%s: no path and sock were specified", fnname)
	}
	if err := lv.e.perms.checkUnixConnect(path.S); err != nil {
		return lv.failedFuture(err), nil
	}
	opts := transports.DialOptions{Check: lv.e.perms.unixAddrCheck(false)}
	lv.e.applyDial(tlsOpts, &opts, "")
	return lv.e.futureValue(transports.CreateUnixConnection(lv.l(), pf, path.S, opts)), nil
}

func (lv *loopValue) createUnixServer(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var factory factoryArg
	var path bind.OptionalString
	var ssl = sslArg{server: true}
	var sock sockArg
	var hsTimeout, sdTimeout bind.OptionalSeconds
	var cleanup starlark.Value
	backlog, startServing := bind.Count{N: 100}, true
	if err := unpack(fnname, args, kwargs,
		"protocol_factory", &factory, "path?", &path, "sock??", &sock, "backlog?", &backlog,
		"ssl?", &ssl, "ssl_handshake_timeout?", &hsTimeout, "ssl_shutdown_timeout?", &sdTimeout,
		"start_serving?", &startServing, "cleanup_socket?", &cleanup); err != nil {
		return nil, err
	}
	pf, opts, err := lv.serverArgs(fnname, factory, ssl, hsTimeout, sdTimeout, bind.OptionalBool{}, bind.OptionalBool{}, backlog, startServing)
	if err != nil {
		return nil, err
	}
	if sock.sv != nil {
		if path.Set {
			return nil, valueErrorf("%s: path and sock can not be specified at the same time", fnname)
		}
		return lv.serveOnSock(sock.sv, opts, func(opts transports.ListenOptions) *loop.Future {
			return transports.CreateUnixServer(lv.l(), pf, "", opts)
		})
	}
	if path.S == "" {
		return nil, valueErrorf("%s: path was not specified, and no sock specified", fnname)
	}
	if err := lv.e.perms.checkUnixListen(path.S); err != nil {
		return lv.failedFuture(err), nil
	}
	opts.Check = lv.e.perms.unixAddrCheck(true)
	return lv.serverFuture(lv.e.createUnixServer(lv.l(), pf, path.S, opts)), nil
}

func (lv *loopValue) connectAcceptedSocket(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var factory factoryArg
	var sock sockArg
	var ssl = sslArg{server: true}
	var hsTimeout, sdTimeout bind.OptionalSeconds
	if err := unpack(fnname, args, kwargs,
		"protocol_factory", &factory, "sock", &sock, "ssl?", &ssl,
		"ssl_handshake_timeout?", &hsTimeout, "ssl_shutdown_timeout?", &sdTimeout); err != nil {
		return nil, err
	}
	pf, err := lv.e.connectionFactory(fnname, factory.v)
	if err != nil {
		return nil, err
	}
	tlsOpts, err := lv.e.serverTLSArgs(fnname, true, ssl, hsTimeout, sdTimeout)
	if err != nil {
		return nil, err
	}
	// The socket was connected by whoever handed it over: no permission check.
	f, err := sockFile(sock.sv)
	if err != nil {
		return nil, err
	}
	var fut *loop.Future
	if tlsOpts.ctx != nil {
		fut = transports.ConnectAcceptedSocketTLS(lv.l(), pf, f, lv.e.serverConfig(tlsOpts.ctx), tlsOpts.handshake, tlsOpts.shutdown)
	} else {
		fut = transports.ConnectAcceptedSocket(lv.l(), pf, f)
	}
	closeWhenDone(fut, f)
	return lv.e.futureValue(fut), nil
}

func (lv *loopValue) getaddrinfo(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var hostA bind.OptionalString
	var portA bind.Port
	var family, typ, proto, flags int
	if err := unpack(fnname, args, kwargs, "host", &hostA, "port", &portA,
		"family?", &family, "type?", &typ, "proto?", &proto, "flags?", &flags); err != nil {
		return nil, err
	}
	host, port := hostA.S, portA.N
	if !hostA.Set {
		host = "localhost"
	}
	target := port
	if !portA.Set {
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

func (lv *loopValue) addSignalHandler(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	fn, cargs, err := callbackArgs(fnname, args, kwargs, 1)
	if err != nil {
		return nil, err
	}
	var sa signalArg
	if err := bind.UnpackArg(fnname, "sig", args[0], &sa); err != nil {
		return nil, err
	}
	sig := sa.sig
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
	var sa signalArg
	if err := unpack(fnname, args, kwargs, "sig", &sa); err != nil {
		return nil, err
	}
	sig := sa.sig
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
	var handler bind.OptionalCallable
	if err := unpack(fnname, args, kwargs, "handler", &handler); err != nil {
		return nil, err
	}
	fn := handler.F
	if fn == nil {
		lv.excFn = nil
		lv.l().SetExceptionHandler(nil)
		return starlark.None, nil
	}
	lv.excFn = fn
	lv.l().SetExceptionHandler(func(l *loop.Loop, ctx loop.ErrorContext) { lv.callScriptHandler(fn, ctx) })
	return starlark.None, nil
}

// callScriptHandler calls the script's exception handler; if it fails, the
// default handler reports both.
func (lv *loopValue) callScriptHandler(fn starlark.Callable, ctx loop.ErrorContext) {
	_, err := lv.e.call(fn, starlark.Tuple{lv, lv.e.contextDict(ctx)})
	if err != nil && !isExit(err) {
		lv.l().DefaultExceptionHandler(loop.ErrorContext{
			Message: "Unhandled error in exception handler",
			Err:     err,
			Extra:   map[string]any{"context": ctx},
		})
	}
}

func (lv *loopValue) getExceptionHandler() (starlark.Value, error) {
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
	var ctx contextArg
	if err := unpack(fnname, args, kwargs, "context", &ctx); err != nil {
		return nil, err
	}
	handle(ctx.ctx)
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

func (lv *loopValue) getDebug() (starlark.Value, error) {
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

// contextArg unpacks an exception context dict, as contextDict makes
// them: message, exception (an error value or a string), transport,
// protocol, and any other keys.
type contextArg struct{ ctx loop.ErrorContext }

func (a *contextArg) Unpack(v starlark.Value) error {
	d, ok := v.(*starlark.Dict)
	if !ok {
		return bind.Want(v, "dict")
	}
	a.ctx = loop.ErrorContext{}
	for _, item := range d.Items() {
		k, ok := item[0].(starlark.String)
		if !ok {
			return bind.Mistyped("key " + item[0].String() + " is not a string")
		}
		if err := a.set(string(k), item[1]); err != nil {
			return err
		}
	}
	return nil
}

// set sets the entry k of the context to v.
func (a *contextArg) set(k string, v starlark.Value) error {
	switch k {
	case "message":
		s, ok := v.(starlark.String)
		if !ok {
			return bind.Mistyped("message is " + v.Type() + ", want string")
		}
		a.ctx.Message = string(s)
	case "exception":
		switch ev := v.(type) {
		case starlark.NoneType:
		case *ErrorValue:
			a.ctx.Err = ev.goError()
		case starlark.String:
			a.ctx.Err = newError(kindException, string(ev)).err
		default:
			return bind.Mistyped("exception is " + v.Type() + ", want an error value")
		}
	case "transport":
		if v != starlark.None {
			a.ctx.Transport = v
		}
	case "protocol":
		if v != starlark.None {
			a.ctx.Protocol = v
		}
	default:
		if a.ctx.Extra == nil {
			a.ctx.Extra = make(map[string]any)
		}
		a.ctx.Extra[k] = v
	}
	return nil
}
