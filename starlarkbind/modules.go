package starlarkbind

import (
	"os"
	"strconv"
	"syscall"

	"github.com/starnet-dev/starnet/starlarkbind/binary"
	"github.com/starnet-dev/starnet/starlarkbind/lib"
	"go.starlark.net/lib/math"
	"go.starlark.net/lib/time"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
)

// The modules of API.md "Modules" that live in this package: subprocess and
// signal constants, os, and the library modules. The ssl module is in
// ssl.go.

// Python's subprocess constants.
const (
	subprocessPIPE    = -1
	subprocessSTDOUT  = -2
	subprocessDEVNULL = -3
)

func newSubprocessModule() *starlarkstruct.Module {
	return &starlarkstruct.Module{
		Name: "subprocess",
		Members: starlark.StringDict{
			"PIPE":    starlark.MakeInt(subprocessPIPE),
			"STDOUT":  starlark.MakeInt(subprocessSTDOUT),
			"DEVNULL": starlark.MakeInt(subprocessDEVNULL),
		},
	}
}

func newSignalModule() *starlarkstruct.Module {
	sig := func(s syscall.Signal) starlark.Value { return starlark.MakeInt(int(s)) }
	return &starlarkstruct.Module{
		Name: "signal",
		Members: starlark.StringDict{
			"SIGINT":  sig(syscall.SIGINT),
			"SIGTERM": sig(syscall.SIGTERM),
			"SIGHUP":  sig(syscall.SIGHUP),
			"SIGKILL": sig(syscall.SIGKILL),
			"SIGUSR1": sig(syscall.SIGUSR1),
			"SIGUSR2": sig(syscall.SIGUSR2),
			"SIGCHLD": sig(syscall.SIGCHLD),
		},
	}
}

func newBinaryModule() starlark.Value { return binary.NewModule() }
func timeModule() starlark.Value      { return time.Module }
func mathModule() starlark.Value      { return math.Module }

// newOSModule makes the os module: stdin/stdout/stderr, pipe, open (see
// pipes.go), getenv, getpid, listen_fds, and the library's file functions
// (lib.FileFunctions: read_file, write_file, listdir, stat, remove, path)
// under the env's --allow-read/--allow-write.
func (e *Env) newOSModule() *starlarkstruct.Module {
	m := &starlarkstruct.Module{
		Name: "os",
		Members: starlark.StringDict{
			"stdin":      newStdioPipe(0),
			"stdout":     newStdioPipe(1),
			"stderr":     newStdioPipe(2),
			"pipe":       starlark.NewBuiltin("pipe", osPipe),
			"open":       starlark.NewBuiltin("open", e.osOpen),
			"getenv":     starlark.NewBuiltin("getenv", e.getenv),
			"getpid":     starlark.NewBuiltin("getpid", getpid),
			"listen_fds": starlark.NewBuiltin("listen_fds", e.listenFDsBuiltin),
		},
	}
	for name, v := range lib.FileFunctions(osFiles{e.perms}) {
		m.Members[name] = v
	}
	return m
}

// osFiles is the sandbox the library's file functions ask: the same
// allow-lists and errors as os.open.
type osFiles struct{ p *permissions }

// Check allows kind of access to resolved if its allow-list does.
func (f osFiles) Check(kind, path, resolved string) error {
	list := f.p.read
	if kind == "write" {
		list = f.p.write
	}
	if list.Contains(resolved) {
		return nil
	}
	return failWith(NewErrorValue(pathDenied(kind, path, resolved)))
}

// PathError is os.open's OSError for path.
func (f osFiles) PathError(err error, path string) error {
	return failWith(NewErrorValue(pathOSError(err, path)))
}

// getenv implements os.getenv(name, default=None), under --allow-env.
func (e *Env) getenv(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	var def starlark.Value = starlark.None
	if err := unpack("os.getenv", args, kwargs, "name", &name, "default?", &def); err != nil {
		return nil, err
	}
	if err := e.perms.checkEnv(name); err != nil {
		return nil, failWith(NewErrorValue(err))
	}
	if v, ok := os.LookupEnv(name); ok {
		return starlark.String(v), nil
	}
	return def, nil
}

func getpid(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := unpack("os.getpid", args, kwargs); err != nil {
		return nil, err
	}
	return starlark.MakeInt(os.Getpid()), nil
}

// listenFDsStart is the first descriptor systemd passes (SD_LISTEN_FDS_START).
const listenFDsStart = 3

// listenFDsBuiltin implements os.listen_fds(): the sockets passed by
// systemd socket activation (LISTEN_PID is this process, LISTEN_FDS says
// how many, from fd 3), as socket values usable as `sock=`. The list is
// made once per env; the descriptors are marked close-on-exec. Reading
// LISTEN_* needs no --allow-env: they describe what the host handed over.
func (e *Env) listenFDsBuiltin(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := unpack("os.listen_fds", args, kwargs); err != nil {
		return nil, err
	}
	if !e.fdsRead {
		e.fdsRead = true
		e.listenFDs = listenFDs()
	}
	return starlark.NewList(append([]starlark.Value(nil), e.listenFDs...)), nil
}

func listenFDs() []starlark.Value {
	pid, err := strconv.Atoi(os.Getenv("LISTEN_PID"))
	if err != nil || pid != os.Getpid() {
		return nil
	}
	n, err := strconv.Atoi(os.Getenv("LISTEN_FDS"))
	if err != nil || n <= 0 {
		return nil
	}
	socks := make([]starlark.Value, 0, n)
	for fd := listenFDsStart; fd < listenFDsStart+n; fd++ {
		syscall.CloseOnExec(fd)
		if s, ok := newFDSocket(fd); ok {
			socks = append(socks, &socketValue{s: s})
		}
	}
	return socks
}
