package starlarkbind

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	policy "github.com/starnet-dev/starnet/internal/permissions"
	"github.com/starnet-dev/starnet/loop"
	"github.com/starnet-dev/starnet/starlarkbind/internal/bind"
	"github.com/starnet-dev/starnet/transports"
	"go.starlark.net/starlark"
	"golang.org/x/sys/unix"
)

// Pipes (API.md "The loop" connect_read_pipe/connect_write_pipe, "Modules" os): the
// values os.stdin, os.stdout, os.stderr, os.pipe() and os.open() return.
// A pipe value has fileno(), close(), and the attributes name, mode ("r"
// or "w") and closed.
//
// Ownership. A pipe value owns its descriptor until it is handed to
// loop.connect_read_pipe or loop.connect_write_pipe: from then on the
// transport owns it (it makes it non-blocking and closes it after
// connection_lost), and the value's close() does nothing. A pipe given to
// loop.subprocess_exec as stdin/stdout/stderr stays the script's: the child
// gets a copy, and the script closes its own end when it no longer needs it
// (a close() while the child is being started takes effect once it has
// started). loop.sendfile reads a copy of the descriptor and leaves the
// file to the script too.
//
// The standard streams. os.stdin, os.stdout and os.stderr are never
// closed: close() does nothing, and connect_*_pipe gets a new descriptor
// for the same pipe, FIFO or terminal, opened anew where the system allows
// it (Linux: /proc/self/fd/N) so that making it non-blocking does not make
// starnet's own descriptor (used by print and tracebacks) non-blocking, nor
// the terminal or pipe the shell shares. Where that is not possible (a
// socket, a regular file, other systems) it is a duplicate (dup(2)), which
// shares the O_NONBLOCK flag: prefer connect_write_pipe(os.stdout) over
// print for large output then, or the other way round, not both.

// pipeState says who owns a pipe value's descriptor.
type pipeState uint8

const (
	pipeOpen   pipeState = iota // the script owns it
	pipeHanded                  // a pipe transport owns it
	pipeClosed                  // closed (or to be closed once no longer lent)
)

// pipeValue is a pipe, FIFO, character device or file as scripts see it.
type pipeValue struct {
	name  string
	mode  string   // "r" or "w"
	file  *os.File // nil for the standard streams
	stdio int      // 0, 1 or 2 for os.stdin/stdout/stderr; -1 otherwise
	state pipeState
	// lent counts operations that use file right now (a child being
	// started); a close() meanwhile closes it when the last one ends.
	lent       int
	closeLater bool
}

var _ starlark.HasAttrs = (*pipeValue)(nil)

// newStdioPipe returns the value of os.stdin (fd 0), os.stdout (1) or
// os.stderr (2).
func newStdioPipe(fd int) *pipeValue {
	names := [3]string{"<stdin>", "<stdout>", "<stderr>"}
	mode := "w"
	if fd == 0 {
		mode = "r"
	}
	return &pipeValue{name: names[fd], mode: mode, stdio: fd}
}

// newFilePipe wraps f, which the value then owns.
func newFilePipe(f *os.File, mode string) *pipeValue {
	return &pipeValue{name: f.Name(), mode: mode, file: f, stdio: -1}
}

// newExtraInfoPipe is get_extra_info("pipe"): the transport's file, which
// the value does not own.
func newExtraInfoPipe(f *os.File) *pipeValue {
	return &pipeValue{name: f.Name(), file: f, stdio: -1, state: pipeHanded}
}

func (pv *pipeValue) String() string {
	state := ""
	switch pv.state {
	case pipeHanded:
		state = " (owned by a transport)"
	case pipeClosed:
		state = " closed"
	}
	mode := ""
	if pv.mode != "" {
		mode = " mode=" + pv.mode
	}
	fd := pv.fd()
	if fd < 0 {
		return fmt.Sprintf("<file %s%s%s>", pv.name, mode, state)
	}
	return fmt.Sprintf("<file %s%s fd=%d%s>", pv.name, mode, fd, state)
}

func (pv *pipeValue) Type() string          { return "file" }
func (pv *pipeValue) Freeze()               {}
func (pv *pipeValue) Truth() starlark.Bool  { return starlark.True }
func (pv *pipeValue) Hash() (uint32, error) { return identityHash(pv), nil }

// pipeMethods are a file's methods and attributes.
var pipeMethods = bind.NewMethods("file", map[string]bind.Method[*pipeValue]{
	"close":  {Fn0: (*pipeValue).closeMethod},
	"closed": {Get: func(pv *pipeValue) (starlark.Value, error) { return starlark.Bool(pv.fd() < 0), nil }},
	"fileno": {Fn0: (*pipeValue).fileno},
	"mode":   {Get: func(pv *pipeValue) (starlark.Value, error) { return starlark.String(pv.mode), nil }},
	"name":   {Get: func(pv *pipeValue) (starlark.Value, error) { return starlark.String(pv.name), nil }},
})

func (pv *pipeValue) AttrNames() []string { return pipeMethods.AttrNames(pv) }

func (pv *pipeValue) Attr(name string) (starlark.Value, error) {
	return pipeMethods.Attr(pv, nil, name)
}

// errClosedFile is Python's error for using a closed file.
func errClosedFile() error {
	return failWith(newError(transports.KindValueError, "I/O operation on closed file"))
}

func (pv *pipeValue) fileno() (starlark.Value, error) {
	fd := pv.fd()
	if fd < 0 {
		return nil, errClosedFile()
	}
	return starlark.MakeInt(fd), nil
}

// closeMethod closes a pipe the script owns; it does nothing for the
// standard streams, for a pipe a transport owns, or twice.
func (pv *pipeValue) closeMethod() (starlark.Value, error) {
	pv.close()
	return starlark.None, nil
}

func (pv *pipeValue) close() {
	if pv.file == nil || pv.state != pipeOpen {
		return
	}
	pv.state = pipeClosed
	if pv.lent > 0 {
		pv.closeLater = true
		return
	}
	_ = pv.file.Close()
}

// fd returns the descriptor, or -1 once it is closed (by the script or by
// the transport that owns it).
func (pv *pipeValue) fd() int {
	if pv.file == nil {
		return pv.stdio
	}
	if pv.state == pipeClosed {
		return -1
	}
	rc, err := pv.file.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	if rc.Control(func(p uintptr) { fd = int(p) }) != nil {
		return -1
	}
	return fd
}

// usable fails unless the script may use the pipe now.
func (pv *pipeValue) usable(fnname, param string) error {
	switch {
	case pv.state == pipeHanded:
		return failWith(newError(transports.KindValueError,
			fmt.Sprintf("%s: for parameter %s: %s belongs to a transport", fnname, param, pv)))
	case pv.fd() < 0:
		return errClosedFile()
	}
	return nil
}

// lend lets an operation use the file until fut is done: a close()
// meanwhile waits for it. The standard streams are lent as os.Stdin,
// os.Stdout and os.Stderr, which are never closed.
func (pv *pipeValue) lend(fut *loop.Future) *os.File {
	if pv.file == nil {
		return stdioFile(pv.stdio)
	}
	pv.lent++
	fut.AddDoneCallback(func(*loop.Future) {
		pv.lent--
		if pv.lent == 0 && pv.closeLater {
			pv.closeLater = false
			_ = pv.file.Close()
		}
	})
	return pv.file
}

// stdioFile returns the process's own file for fd 0, 1 or 2.
func stdioFile(fd int) *os.File {
	switch fd {
	case 0:
		return os.Stdin
	case 1:
		return os.Stdout
	}
	return os.Stderr
}

// handOver gives the pipe to a pipe transport: it returns the file the
// transport takes, and undo, which takes it back if the transport refused
// it at once. The standard streams give a new descriptor each time.
func (pv *pipeValue) handOver(fnname string, write bool) (f *os.File, undo func(), err error) {
	want, what := "r", "reading"
	if write {
		want, what = "w", "writing"
	}
	if err := pv.usable(fnname, "pipe"); err != nil {
		return nil, nil, err
	}
	if pv.mode != "" && pv.mode != want {
		return nil, nil, failWith(newError(transports.KindValueError,
			fmt.Sprintf("%s: for parameter pipe: %s is not open for %s", fnname, pv, what)))
	}
	if pv.file == nil {
		f, err := reopenStdio(pv.stdio, write)
		if err != nil {
			return nil, nil, failWith(NewErrorValue(fmt.Errorf("%s: %s: %w", fnname, pv.name, err)))
		}
		return f, func() { _ = f.Close() }, nil
	}
	if pv.lent > 0 {
		return nil, nil, failWith(newError(transports.KindValueError,
			fmt.Sprintf("%s: for parameter pipe: %s is in use by a subprocess being started", fnname, pv)))
	}
	pv.state = pipeHanded
	return pv.file, func() { pv.state = pipeOpen }, nil
}

// newBlockingFile wraps fd, which must be blocking at this point so that
// Go's own poller leaves it alone, as an *os.File.
func newBlockingFile(fd int, name string) (*os.File, error) {
	if err := unix.SetNonblock(fd, false); err != nil {
		closeQuietly(fd)
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return os.NewFile(uintptr(fd), name), nil
}

func closeQuietly(fd int) { _ = unix.Close(fd) }

// ---- os.pipe() and os.open() ----

// osPipe implements os.pipe(): a new pipe, (read_end, write_end).
func osPipe(_ *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs("os.pipe", args, kwargs); err != nil {
		return nil, err
	}
	r, w, err := newPipe()
	if err != nil {
		return nil, failWith(NewErrorValue(fmt.Errorf("os.pipe: %w", err)))
	}
	return starlark.Tuple{newFilePipe(r, "r"), newFilePipe(w, "w")}, nil
}

// openFlags are os.open's modes.
var openFlags = map[string]int{
	"r": unix.O_RDONLY,
	"w": unix.O_WRONLY | unix.O_CREAT | unix.O_TRUNC,
	"a": unix.O_WRONLY | unix.O_CREAT | unix.O_APPEND,
}

// osOpen implements os.open(path, mode): "r" under --allow-read, "w"
// (create or truncate) and "a" (create or append) under --allow-write.
// FIFOs are opened without waiting for the other side: a FIFO opened for
// reading sees data once a writer comes, and opening one for writing fails
// with ENXIO ("OSError: [Errno 6] No such device or address") while it has
// no reader. Directories fail with IsADirectoryError.
func (e *Env) osOpen(_ *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	const fnname = "os.open"
	var path string
	var mode openModeArg
	if err := unpack(fnname, args, kwargs, "path", &path, "mode", &mode); err != nil {
		return nil, err
	}
	flags := openFlags[mode.s]
	if path == "" {
		return nil, failWith(NewErrorValue(pathOSError(unix.ENOENT, path)))
	}
	check := e.perms.writePath
	if mode.s == "r" {
		check = e.perms.readPath
	}
	resolved, err := check(path)
	if err != nil {
		return nil, failWith(NewErrorValue(err))
	}
	f, err := openFile(resolved, path, flags)
	if err != nil {
		return nil, failWith(NewErrorValue(err))
	}
	fileMode := "w"
	if mode.s == "r" {
		fileMode = "r"
	}
	return newFilePipe(f, fileMode), nil
}

// openModeArg unpacks os.open's mode: "r", "w" or "a".
type openModeArg struct{ s string }

func (a *openModeArg) Unpack(v starlark.Value) error {
	s, ok := v.(starlark.String)
	if !ok {
		return bind.Want(v, "string")
	}
	if _, ok := openFlags[string(s)]; !ok {
		return bind.Invalid("invalid mode " + strconv.Quote(string(s)) + `, want "r", "w" or "a"`)
	}
	a.s = string(s)
	return nil
}

// fileArg unpacks a file value (os.stdin, os.pipe()'s ends, os.open()'s
// files).
type fileArg struct{ pv *pipeValue }

func (a *fileArg) Unpack(v starlark.Value) error {
	pv, ok := v.(*pipeValue)
	if !ok {
		return bind.Want(v, "a file (os.stdin, os.pipe(), os.open(), ...)")
	}
	a.pv = pv
	return nil
}

// openFile opens the resolved path (a result of the permission check)
// non-blocking (so that a FIFO does not wait for its other side) with
// symbolic links refused (policy.Open), refuses directories, and returns it
// blocking as an *os.File. Errors name path, as the script gave it.
func openFile(resolved, path string, flags int) (*os.File, error) {
	fd, err := policy.Open(resolved, flags|unix.O_NONBLOCK|unix.O_NOCTTY, 0o666)
	if err != nil {
		return nil, pathOSError(err, path)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		closeQuietly(fd)
		return nil, pathOSError(err, path)
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		closeQuietly(fd)
		return nil, pathOSError(unix.EISDIR, path)
	}
	return newBlockingFile(fd, path)
}

// pathOSError is Python's OSError for a path: "FileNotFoundError: [Errno 2]
// No such file or directory: 'x'".
func pathOSError(err error, path string) *transports.Error {
	e := *transports.MapError(err)
	var errno unix.Errno
	if errors.As(err, &errno) {
		e.Message = fmt.Sprintf("%s: '%s'", e.Message, path)
	}
	return &e
}

// ---- loop.connect_read_pipe and loop.connect_write_pipe ----

func (lv *loopValue) connectReadPipe(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	return lv.connectPipe(fnname, args, kwargs, false)
}

func (lv *loopValue) connectWritePipe(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	return lv.connectPipe(fnname, args, kwargs, true)
}

// connectPipe wraps a pipe value in a read or write pipe transport; the
// transport owns the pipe's descriptor from then on.
func (lv *loopValue) connectPipe(fnname string, args starlark.Tuple, kwargs []starlark.Tuple, write bool) (starlark.Value, error) {
	var factoryA factoryArg
	var pipe fileArg
	if err := unpack(fnname, args, kwargs, "protocol_factory", &factoryA, "pipe", &pipe); err != nil {
		return nil, err
	}
	factory, err := lv.e.connectionFactory(fnname, factoryA.v)
	if err != nil {
		return nil, err
	}
	f, undo, err := pipe.pv.handOver(fnname, write)
	if err != nil {
		return nil, err
	}
	var fut *loop.Future
	if write {
		fut = transports.ConnectWritePipe(lv.l(), factory, f)
	} else {
		fut = transports.ConnectReadPipe(lv.l(), factory, f)
	}
	if fut.Done() {
		undo() // refused at once: the transport did not take the file
	}
	return lv.e.futureValue(fut), nil
}

// dupStdio duplicates the process's fd 0, 1 or 2, close-on-exec.
func dupStdio(fd int) (*os.File, error) {
	nfd, err := dupCloexec(fd)
	if err != nil {
		return nil, fmt.Errorf("dup %d: %w", fd, err)
	}
	return os.NewFile(uintptr(nfd), stdioFile(fd).Name()), nil
}
