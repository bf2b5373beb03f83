package starlarkbind

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/starnet-dev/starnet/loop"
	"github.com/starnet-dev/starnet/starlarkbind/internal/bind"
	"github.com/starnet-dev/starnet/transports"
	"go.starlark.net/starlark"
)

// Subprocesses (API.md "Protocols" subprocess protocols, "Transports" SubprocessTransport,
// "The loop" subprocess_exec/subprocess_shell, "Modules" subprocess constants).
//
// stdin, stdout and stderr each take subprocess.PIPE (the default: a pipe
// with its own pipe transport, get_pipe_transport(fd)), subprocess.DEVNULL,
// subprocess.STDOUT (stderr only: into stdout's pipe or file), None (the
// child shares starnet's own descriptor), a file (os.stdin, os.pipe()'s
// ends, os.open()'s files: the child gets a copy, the script keeps its
// own), or one of the descriptors 0, 1 and 2 (any other number could hand
// the child a descriptor the script does not own). env is a dict of strings:
// the child's whole environment (None: starnet's with --allow-env, a
// minimal set without; see permissions_run.go). --allow-run is checked as
// permissions_run.go says; a denial fails the Future with a PermissionError.

// Subprocess callback names.
const (
	cbPipeDataReceived   = "pipe_data_received"
	cbPipeConnectionLost = "pipe_connection_lost"
	cbProcessExited      = "process_exited"
)

// subprocessAdapter makes a Starlark protocol object a
// transports.SubprocessProtocol. A failing callback is reported and
// changes nothing else, as in asyncio.
type subprocessAdapter struct{ adapter }

var _ transports.SubprocessProtocol = (*subprocessAdapter)(nil)

// PipeDataReceived calls pipe_data_received(fd, data).
func (s *subprocessAdapter) PipeDataReceived(fd int, data []byte) {
	if found, err := s.callNamed(cbPipeDataReceived, starlark.MakeInt(fd), starlark.Bytes(data)); found && err != nil {
		s.failed(cbPipeDataReceived, err, false)
	}
}

// PipeConnectionLost calls pipe_connection_lost(fd, exc).
func (s *subprocessAdapter) PipeConnectionLost(fd int, err error) {
	var exc starlark.Value = starlark.None
	if ev := NewErrorValue(err); ev != nil {
		exc = ev
	}
	if found, cerr := s.callNamed(cbPipeConnectionLost, starlark.MakeInt(fd), exc); found && cerr != nil {
		s.failed(cbPipeConnectionLost, cerr, false)
	}
}

// ProcessExited calls process_exited().
func (s *subprocessAdapter) ProcessExited() {
	if found, err := s.callNamed(cbProcessExited); found && err != nil {
		s.failed(cbProcessExited, err, false)
	}
}

// goSubprocess keeps a Go SubprocessProtocol a SubprocessProtocol while the
// env tracks its transport.
type goSubprocess struct {
	*goBase
	p transports.SubprocessProtocol
}

func (g goSubprocess) PipeDataReceived(fd int, data []byte) { g.p.PipeDataReceived(fd, data) }
func (g goSubprocess) PipeConnectionLost(fd int, err error) { g.p.PipeConnectionLost(fd, err) }
func (g goSubprocess) ProcessExited()                       { g.p.ProcessExited() }

// ---- loop.subprocess_exec and loop.subprocess_shell ----

// subprocessKwargs are the keyword arguments both calls take.
type subprocessKwargs struct {
	stdin, stdout, stderr stdioArg
	cwd                   bind.OptionalString
	env                   envArg
}

func (lv *loopValue) subprocessExec(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if len(args) < 2 {
		return nil, typeErrorf("%s: missing argument for program", fnname)
	}
	argv := make([]string, len(args)-1)
	for i, a := range args[1:] {
		param := "program"
		if i > 0 {
			param = fmt.Sprintf("args (argument %d)", i)
		}
		if err := bind.UnpackArg(fnname, param, a, &argv[i]); err != nil {
			return nil, err
		}
	}
	return lv.startSubprocess(fnname, args[0], kwargs, argv, false)
}

func (lv *loopValue) subprocessShell(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if len(args) > 2 {
		return nil, typeErrorf("%s: got %d positional arguments, want protocol_factory and cmd", fnname, len(args))
	}
	if len(args) < 2 {
		return nil, typeErrorf("%s: missing argument for cmd", fnname)
	}
	var cmd string
	if err := bind.UnpackArg(fnname, "cmd", args[1], &cmd); err != nil {
		return nil, err
	}
	return lv.startSubprocess(fnname, args[0], kwargs, []string{cmd}, true)
}

// startSubprocess is subprocess_exec (argv) and subprocess_shell (shell,
// argv[0] the command line).
func (lv *loopValue) startSubprocess(fnname string, factoryV starlark.Value, kwargs []starlark.Tuple, argv []string, shell bool) (starlark.Value, error) {
	var factoryA factoryArg
	if err := bind.UnpackArg(fnname, "protocol_factory", factoryV, &factoryA); err != nil {
		return nil, err
	}
	kw := subprocessKwargs{stderr: stdioArg{stderr: true}}
	if err := unpack(fnname, nil, kwargs, "stdin?", &kw.stdin, "stdout?", &kw.stdout,
		"stderr?", &kw.stderr, "cwd?", &kw.cwd, "env?", &kw.env); err != nil {
		return nil, err
	}
	factory, err := lv.e.kindFactory(fnname, factoryA.v, kindSubprocess, nil)
	if err != nil {
		return nil, err
	}
	fut := lv.l().NewFuture()
	opts, err := lv.subprocessOptions(fnname, kw, fut)
	if err != nil {
		fut.Cancel() // gives back the files lent so far
		return nil, err
	}
	opts.Limit = lv.e.children
	perms := lv.e.perms
	if opts.Env, err = perms.childEnv(opts.Env); err != nil {
		fut.Cancel()
		return lv.failedFuture(err), nil
	}
	if shell {
		opts.Check = func(string) error { return perms.checkShell() }
	} else {
		opts.Check = func(program string) error { return perms.checkRun(program, opts.Env, opts.Dir) }
	}
	var inner *loop.Future
	if shell {
		inner = transports.SubprocessShell(lv.l(), factory, argv[0], opts)
	} else {
		inner = transports.SubprocessExec(lv.l(), factory, argv, opts)
	}
	chain(fut, inner)
	return lv.e.futureValue(fut), nil
}

// chain completes out as in completes, and cancels in when out is
// cancelled.
func chain(out, in *loop.Future) {
	in.AddDoneCallback(func(in *loop.Future) { copyOutcome(out, in) })
	out.AddDoneCallback(func(out *loop.Future) {
		if out.Cancelled() {
			in.Cancel()
		}
	})
}

// subprocessOptions makes the options of the keyword arguments. Files
// given as stdin, stdout or stderr are lent until fut is done.
func (lv *loopValue) subprocessOptions(fnname string, kw subprocessKwargs, fut *loop.Future) (transports.SubprocessOptions, error) {
	var opts transports.SubprocessOptions
	var err error
	if opts.Stdin, err = kw.stdin.stdio(fnname, "stdin", fut); err != nil {
		return opts, err
	}
	if opts.Stdout, err = kw.stdout.stdio(fnname, "stdout", fut); err != nil {
		return opts, err
	}
	if opts.Stderr, err = kw.stderr.stdio(fnname, "stderr", fut); err != nil {
		return opts, err
	}
	opts.Dir, opts.Env = kw.cwd.S, kw.env.env
	return opts, nil
}

// stdioArg unpacks stdin, stdout or stderr: subprocess.PIPE (the default),
// DEVNULL, STDOUT (set stderr before unpacking: stderr only), None, a file,
// or the descriptor 0, 1 or 2.
type stdioArg struct {
	stderr bool
	given  bool
	kind   transports.StdioKind
	pv     *pipeValue // a file
	fd     int        // a descriptor (-1: none)
}

func (a *stdioArg) Unpack(v starlark.Value) error {
	a.given, a.pv, a.fd = true, nil, -1
	switch v := v.(type) {
	case starlark.NoneType:
		a.kind = transports.StdioInherit
		return nil
	case *pipeValue:
		a.kind, a.pv = transports.StdioFile, v
		return nil
	case starlark.Int:
		n, ok := v.Int64()
		switch {
		case !ok:
		case n == subprocessPIPE:
			a.kind = transports.StdioPipe
			return nil
		case n == subprocessDEVNULL:
			a.kind = transports.StdioDevNull
			return nil
		case n == subprocessSTDOUT:
			if !a.stderr {
				return bind.Invalid("STDOUT can only be used for stderr")
			}
			a.kind = transports.StdioStdout
			return nil
		case n >= 0 && n <= 2:
			a.kind, a.fd = transports.StdioFile, int(n)
			return nil
		case n > 2 && n <= 1<<30:
			return bind.Invalid(fmt.Sprintf("descriptor %d is not the script's to give; pass 0, 1 or 2, or the file or pipe value itself (os.open, os.pipe)", n))
		}
		return bind.Invalid(v.String() + " is neither a descriptor nor PIPE, DEVNULL or STDOUT")
	}
	return bind.Want(v, "subprocess.PIPE, DEVNULL, STDOUT, None, a file or a descriptor")
}

// stdio returns what the child gets: a file is lent, a descriptor
// duplicated, until fut is done.
func (a *stdioArg) stdio(fnname, param string, fut *loop.Future) (transports.Stdio, error) {
	switch {
	case !a.given:
		return transports.Stdio{Kind: transports.StdioPipe}, nil
	case a.pv != nil:
		if err := a.pv.usable(fnname, param); err != nil {
			return transports.Stdio{}, err
		}
		return transports.Stdio{Kind: transports.StdioFile, File: a.pv.lend(fut)}, nil
	case a.fd >= 0:
		return fdStdio(fnname, param, a.fd, fut)
	}
	return transports.Stdio{Kind: a.kind}, nil
}

// fdStdio gives the child a duplicate of descriptor fd, closed once fut is
// done.
func fdStdio(fnname, param string, fd int, fut *loop.Future) (transports.Stdio, error) {
	dup, err := dupCloexec(fd)
	if err != nil {
		return transports.Stdio{}, failWith(NewErrorValue(fmt.Errorf("%s: for parameter %s: descriptor %d: %w", fnname, param, fd, err)))
	}
	f := os.NewFile(uintptr(dup), fmt.Sprintf("fd %d", fd))
	fut.AddDoneCallback(func(*loop.Future) { _ = f.Close() })
	return transports.Stdio{Kind: transports.StdioFile, File: f}, nil
}

// envArg unpacks env: None, or a dict of strings (the child's whole
// environment).
type envArg struct{ env []string }

func (a *envArg) Unpack(v starlark.Value) error {
	switch v := v.(type) {
	case starlark.NoneType:
		a.env = nil
		return nil
	case *starlark.Dict:
		env := make([]string, 0, v.Len())
		for _, item := range v.Items() {
			k, ok1 := item[0].(starlark.String)
			val, ok2 := item[1].(starlark.String)
			if !ok1 || !ok2 {
				return bind.Mistyped(item[0].String() + ": " + item[1].Type() + " is not a string to string entry")
			}
			if k == "" || strings.ContainsRune(string(k), '=') {
				return bind.Invalid("illegal environment variable name " + strconv.Quote(string(k)))
			}
			env = append(env, string(k)+"="+string(val))
		}
		a.env = env
		return nil
	}
	return bind.Want(v, "dict or None")
}

// ---- subprocess transport methods (in transport.go's table) ----

func subprocessOf(tv *transportValue) transports.SubprocessTransport {
	return tv.t.(transports.SubprocessTransport)
}

func tGetPid(tv *transportValue) (starlark.Value, error) {
	return starlark.MakeInt(subprocessOf(tv).GetPid()), nil
}

func tGetReturncode(tv *transportValue) (starlark.Value, error) {
	code, ok := subprocessOf(tv).GetReturncode()
	if !ok {
		return starlark.None, nil
	}
	return starlark.MakeInt(code), nil
}

// tGetPipeTransport returns the transport of the child's fd 0, 1 or 2, or
// None when that fd is not a PIPE.
func tGetPipeTransport(tv *transportValue, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var fd int
	if err := unpack(fnname, args, kwargs, "fd", &fd); err != nil {
		return nil, err
	}
	pt := subprocessOf(tv).GetPipeTransport(fd)
	if pt == nil {
		return starlark.None, nil
	}
	return tv.e.transportValue(pt), nil
}

// signalResult makes a failed kill(2) fail the call with its error value
// ("ProcessLookupError: [Errno 3] No such process" after connection_lost;
// nothing is sent once the child has exited).
func signalResult(err error) (starlark.Value, error) {
	if err != nil {
		return nil, failWith(NewErrorValue(err))
	}
	return starlark.None, nil
}

func tSendSignal(tv *transportValue, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var sig signalArg
	if err := unpack(fnname, args, kwargs, "signal", &sig); err != nil {
		return nil, err
	}
	return signalResult(subprocessOf(tv).SendSignal(int(sig.sig)))
}

func tTerminate(tv *transportValue) (starlark.Value, error) {
	return signalResult(subprocessOf(tv).Terminate())
}

func tKill(tv *transportValue) (starlark.Value, error) {
	return signalResult(subprocessOf(tv).Kill())
}
