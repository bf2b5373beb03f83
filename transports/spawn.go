package transports

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// spawned is a started child: its pid and the parent's ends of its pipes
// (-1 where the fd is not a pipe).
type spawned struct {
	pid   int
	pipes [3]int
}

// spawn starts argv with syscall.ForkExec. Every descriptor starnet opens is
// close-on-exec, so the child inherits only the three it is given; they are
// pipes (made close-on-exec too, and moved to 0, 1, 2 in the child by
// ForkExec), /dev/null, the parent's own 0, 1, 2, or the caller's files.
func spawn(argv []string, opts SubprocessOptions) (spawned, error) {
	c := spawned{pipes: [3]int{-1, -1, -1}}
	var childFDs [3]int
	var toClose []int // child ends and /dev/null, closed in the parent after the fork
	fail := func(e error) (spawned, error) {
		for _, fd := range toClose {
			closeFD(fd)
		}
		for _, fd := range c.pipes {
			closeFD(fd)
		}
		return spawned{}, e
	}
	specs := [3]Stdio{opts.Stdin, opts.Stdout, opts.Stderr}
	for i, spec := range specs {
		switch spec.Kind {
		case StdioPipe:
			p, err := sysPipe()
			if err != nil {
				return fail(MapError(fmt.Errorf("subprocess pipe: %w", err)))
			}
			if i == 0 {
				childFDs[i], c.pipes[i] = p[0], p[1]
			} else {
				childFDs[i], c.pipes[i] = p[1], p[0]
			}
			toClose = append(toClose, childFDs[i])
		case StdioDevNull:
			fd, err := unix.Open(os.DevNull, unix.O_RDWR|unix.O_CLOEXEC, 0)
			if err != nil {
				return fail(MapError(fmt.Errorf("open %s: %w", os.DevNull, err)))
			}
			childFDs[i] = fd
			toClose = append(toClose, fd)
		case StdioInherit:
			childFDs[i] = i
		case StdioStdout:
			childFDs[i] = childFDs[1]
		case StdioFile:
			fd, e := fileDescriptor(spec.File)
			if e != nil {
				return fail(e)
			}
			childFDs[i] = fd
		}
	}
	env := opts.Env
	if env == nil {
		env = os.Environ()
	}
	if opts.Dir != "" {
		if st, err := os.Stat(opts.Dir); err != nil || !st.IsDir() {
			if err == nil {
				err = unix.ENOTDIR
			}
			return fail(pathError(err, opts.Dir))
		}
	}
	path, e := lookPath(argv[0], env)
	if e != nil {
		return fail(e)
	}
	pid, err := syscall.ForkExec(path, argv, &syscall.ProcAttr{
		Dir:   opts.Dir,
		Env:   env,
		Files: []uintptr{uintptr(childFDs[0]), uintptr(childFDs[1]), uintptr(childFDs[2])},
	})
	runtime.KeepAlive(opts.Stdin.File)
	runtime.KeepAlive(opts.Stdout.File)
	runtime.KeepAlive(opts.Stderr.File)
	if err != nil {
		return fail(pathError(err, argv[0]))
	}
	for _, fd := range toClose {
		closeFD(fd)
	}
	c.pid = pid
	return c, nil
}

// fileDescriptor returns f's descriptor without changing its mode (as
// os.File.Fd would).
func fileDescriptor(f *os.File) (int, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return -1, MapError(fmt.Errorf("%s: %w", f.Name(), err))
	}
	fd := -1
	if err := rc.Control(func(p uintptr) { fd = int(p) }); err != nil {
		return -1, MapError(fmt.Errorf("%s: %w", f.Name(), err))
	}
	return fd, nil
}

// pathError is Python's OSError for a path: "[Errno 2] No such file or
// directory: 'prog'".
func pathError(err error, path string) error {
	e := MapError(err)
	if e.Errno == 0 {
		return e
	}
	return &Error{Kind: e.Kind, Errno: e.Errno, Message: fmt.Sprintf("%s: '%s'", e.Message, path), Err: err}
}

// defaultExecPath is Python's os.defpath, the search path when PATH is unset.
const defaultExecPath = "/bin:/usr/bin"

// lookPath finds prog as Python's subprocess does (os.get_exec_path): a
// name with a slash is used as is; otherwise each directory of the PATH in
// env (the child's environment) is tried in turn.
func lookPath(prog string, env []string) (string, error) {
	if strings.Contains(prog, "/") {
		return prog, nil
	}
	search := defaultExecPath
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			search = v
		}
	}
	var denied error
	for _, dir := range filepath.SplitList(search) {
		if dir == "" {
			dir = "."
		}
		candidate := filepath.Join(dir, prog)
		st, err := os.Stat(candidate)
		if err != nil || st.IsDir() {
			continue
		}
		if err := unix.Access(candidate, unix.X_OK); err != nil {
			if denied == nil {
				denied = err
			}
			continue
		}
		return candidate, nil
	}
	if denied != nil {
		return "", pathError(denied, prog)
	}
	return "", pathError(unix.ENOENT, prog)
}
