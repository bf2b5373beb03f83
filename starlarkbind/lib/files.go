package lib

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	policy "github.com/starnet-dev/starnet/internal/permissions"
	"github.com/starnet-dev/starnet/loop"
	"github.com/starnet-dev/starnet/starlarkbind/internal/bind"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"golang.org/x/sys/unix"
)

// The os module's file functions (API.md §6 "os"). Every path is resolved
// first (policy.Resolve: links and ".." followed, as the kernel would),
// the resolved path is checked against --allow-read or --allow-write, and
// what is opened is the resolved path, with links refused (policy.Open):
// a link swapped in after the check fails the call instead of leading
// elsewhere.

// FileSystem is the sandbox the file functions ask.
type FileSystem interface {
	// Check returns nil if access of kind ("read" or "write") to
	// resolved (a result of permissions.Resolve, for path as the script
	// gave it) is allowed, and the error to fail with otherwise (a
	// PermissionError naming the flag).
	Check(kind, path, resolved string) error
	// PathError is the error to fail with for err, an OS error met on
	// path: Python's OSError of err's errno, naming path.
	PathError(err error, path string) error
}

// FileFunctions returns the os module's file functions, checked by fs:
// read_file, write_file, listdir, stat, remove, and the os.path module.
func FileFunctions(fs FileSystem) starlark.StringDict {
	f := &files{fs: fs}
	return starlark.StringDict{
		"read_file":  starlark.NewBuiltin("os.read_file", f.readFile),
		"write_file": starlark.NewBuiltin("os.write_file", f.writeFile),
		"listdir":    starlark.NewBuiltin("os.listdir", f.listdir),
		"stat":       starlark.NewBuiltin("os.stat", f.stat),
		"remove":     starlark.NewBuiltin("os.remove", f.remove),
		"path":       f.pathModule(),
	}
}

type files struct{ fs FileSystem }

// resolve resolves path and checks kind of access to it.
func (f *files) resolve(kind, path string) (string, error) {
	if path == "" {
		return "", f.fs.PathError(unix.ENOENT, path)
	}
	resolved, err := policy.Resolve(path)
	if err != nil {
		return "", f.fs.PathError(errnoOf(err), path)
	}
	if err := f.fs.Check(kind, path, resolved); err != nil {
		return "", err
	}
	return resolved, nil
}

// errnoOf returns the errno inside err, or err.
func errnoOf(err error) error {
	var errno unix.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return err
}

// openChecked opens the resolved path with links refused, as the file it
// is: for read_file and write_file a regular file, for listdir a directory.
func (f *files) openChecked(path, resolved string, flags int, wantDir bool) (*os.File, error) {
	fd, err := policy.Open(resolved, flags|unix.O_NOCTTY|unix.O_NONBLOCK, 0o666)
	if err != nil {
		return nil, f.fs.PathError(err, path)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		_ = unix.Close(fd)
		return nil, f.fs.PathError(err, path)
	}
	isDir := st.Mode&unix.S_IFMT == unix.S_IFDIR
	switch {
	case wantDir && !isDir:
		_ = unix.Close(fd)
		return nil, f.fs.PathError(unix.ENOTDIR, path)
	case !wantDir && isDir:
		_ = unix.Close(fd)
		return nil, f.fs.PathError(unix.EISDIR, path)
	case !wantDir && st.Mode&unix.S_IFMT != unix.S_IFREG:
		_ = unix.Close(fd)
		return nil, loop.Errorf("OSError", "%q is not a regular file (a FIFO or a device: use os.open and a pipe transport)", path)
	}
	if err := unix.SetNonblock(fd, false); err != nil {
		_ = unix.Close(fd)
		return nil, f.fs.PathError(err, path)
	}
	return os.NewFile(uintptr(fd), path), nil
}

// readFile is os.read_file(path, encoding=None, errors="strict"): the
// file's bytes, or, given an encoding, its text.
func (f *files) readFile(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var path string
	var encoding bind.OptionalString
	errs := "strict"
	if err := unpack(b.Name(), args, kwargs, "path", &path, "encoding?", &encoding, "errors?", &errs); err != nil {
		return nil, err
	}
	resolved, err := f.resolve("read", path)
	if err != nil {
		return nil, err
	}
	file, err := f.openChecked(path, resolved, unix.O_RDONLY, false)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, maxSize+1))
	if err != nil {
		return nil, f.fs.PathError(errnoOf(err), path)
	}
	if len(data) > maxSize {
		return nil, loop.Errorf(kindOverflowError, "%s: %q is larger than %d bytes", b.Name(), path, maxSize)
	}
	if !encoding.Set {
		return starlark.Bytes(data), nil
	}
	s, err := decode(b.Name(), string(data), encoding.S, errs)
	if err != nil {
		return nil, err
	}
	return starlark.String(s), nil
}

// writeFile is os.write_file(path, data, append=False): data (bytes, or a
// str written as UTF-8) replaces the file's contents or, with append, is
// added at its end; the file is made (mode 0666 less the umask) if need be.
func (f *files) writeFile(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var path string
	var data textArg
	appendMode := false
	if err := unpack(b.Name(), args, kwargs, "path", &path, "data", &data, "append?", &appendMode); err != nil {
		return nil, err
	}
	resolved, err := f.resolve("write", path)
	if err != nil {
		return nil, err
	}
	flags := unix.O_WRONLY | unix.O_CREAT | unix.O_TRUNC
	if appendMode {
		flags = unix.O_WRONLY | unix.O_CREAT | unix.O_APPEND
	}
	file, err := f.openChecked(path, resolved, flags, false)
	if err != nil {
		return nil, err
	}
	_, werr := io.WriteString(file, data.s)
	cerr := file.Close()
	if werr != nil {
		return nil, f.fs.PathError(errnoOf(werr), path)
	}
	if cerr != nil {
		return nil, f.fs.PathError(errnoOf(cerr), path)
	}
	return starlark.None, nil
}

// listdir is os.listdir(path="."): the names in the directory, sorted.
func (f *files) listdir(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	path := "."
	if err := unpack(b.Name(), args, kwargs, "path?", &path); err != nil {
		return nil, err
	}
	resolved, err := f.resolve("read", path)
	if err != nil {
		return nil, err
	}
	dir, err := f.openChecked(path, resolved, unix.O_RDONLY|unix.O_DIRECTORY, true)
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return nil, f.fs.PathError(errnoOf(err), path)
	}
	sort.Strings(names)
	list := make([]starlark.Value, len(names))
	for i, n := range names {
		list[i] = starlark.String(n)
	}
	return starlark.NewList(list), nil
}

// lstatChecked stats the resolved path without following a last link:
// its directory is opened with links refused, and the name looked up in
// it. A link there (dangling, or swapped in after the check) is reported
// as missing, as Python's stat reports a dangling link.
func (f *files) lstatChecked(path, resolved string) (*unix.Stat_t, error) {
	dir, base := filepath.Dir(resolved), filepath.Base(resolved)
	if resolved == string(filepath.Separator) {
		base = "."
	}
	dfd, err := policy.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, f.fs.PathError(err, path)
	}
	defer unix.Close(dfd)
	var st unix.Stat_t
	if err := unix.Fstatat(dfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return nil, f.fs.PathError(err, path)
	}
	if st.Mode&unix.S_IFMT == unix.S_IFLNK {
		return nil, f.fs.PathError(unix.ENOENT, path)
	}
	return &st, nil
}

// stat is os.stat(path): an os.stat_result struct.
func (f *files) stat(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var path string
	if err := unpack(b.Name(), args, kwargs, "path", &path); err != nil {
		return nil, err
	}
	resolved, err := f.resolve("read", path)
	if err != nil {
		return nil, err
	}
	st, err := f.lstatChecked(path, resolved)
	if err != nil {
		return nil, err
	}
	return statResult(st), nil
}

func statResult(st *unix.Stat_t) *starlarkstruct.Struct {
	ns := func(t unix.Timespec) int64 { return t.Sec*1e9 + t.Nsec }
	secs := func(t unix.Timespec) starlark.Value { return starlark.Float(float64(ns(t)) / 1e9) }
	return starlarkstruct.FromStringDict(starlark.String("os.stat_result"), starlark.StringDict{
		"st_mode":     starlark.MakeInt64(int64(st.Mode)),
		"st_ino":      starlark.MakeUint64(uint64(st.Ino)),
		"st_dev":      starlark.MakeInt64(int64(st.Dev)),
		"st_nlink":    starlark.MakeInt64(int64(st.Nlink)),
		"st_uid":      starlark.MakeInt64(int64(st.Uid)),
		"st_gid":      starlark.MakeInt64(int64(st.Gid)),
		"st_size":     starlark.MakeInt64(st.Size),
		"st_atime":    secs(st.Atim),
		"st_mtime":    secs(st.Mtim),
		"st_ctime":    secs(st.Ctim),
		"st_atime_ns": starlark.MakeInt64(ns(st.Atim)),
		"st_mtime_ns": starlark.MakeInt64(ns(st.Mtim)),
		"st_ctime_ns": starlark.MakeInt64(ns(st.Ctim)),
	})
}

// remove is os.remove(path): removes the file, or the link, path names
// (not a link's target: the check is on the link itself, in its
// directory as the kernel resolves it). A directory is not removed.
func (f *files) remove(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var path string
	if err := unpack(b.Name(), args, kwargs, "path", &path); err != nil {
		return nil, err
	}
	// The directory part is resolved from the raw text, so that ".." after
	// a link steps back from where the link led, as the kernel would.
	rawDir, base := ".", path
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		rawDir, base = path[:i], path[i+1:]
		if rawDir == "" {
			rawDir = "/"
		}
	}
	if base == "" || base == "." || base == ".." {
		return nil, f.fs.PathError(unix.EISDIR, path)
	}
	dir, err := policy.Resolve(rawDir)
	if err != nil {
		return nil, f.fs.PathError(errnoOf(err), path)
	}
	target := filepath.Join(dir, base)
	if err := f.fs.Check("write", path, target); err != nil {
		return nil, err
	}
	dfd, err := policy.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, f.fs.PathError(err, path)
	}
	defer unix.Close(dfd)
	if err := unix.Unlinkat(dfd, base, 0); err != nil {
		if err == unix.EPERM && isDirAt(dfd, base) {
			err = unix.EISDIR // macOS says EPERM; Python's os.remove says IsADirectoryError on Linux
		}
		return nil, f.fs.PathError(err, path)
	}
	return starlark.None, nil
}

func isDirAt(dfd int, name string) bool {
	var st unix.Stat_t
	return unix.Fstatat(dfd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR
}
