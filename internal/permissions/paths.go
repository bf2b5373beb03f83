package permissions

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// errNotDir is what resolving "file/x" fails with.
var errNotDir = unix.ENOTDIR

// All is the allow-list entry that allows every path.
const All = "*"

// Resolve returns the absolute path that the kernel reaches when it is given
// path: a relative path is taken from the working directory, each symbolic
// link in the part of the path that exists is followed, and ".." steps back
// from where the link led (as the kernel does, not lexically). The part of
// the path that does not exist yet (a file about to be created) is appended,
// cleaned. The result names no symbolic link, except possibly its last
// component when that is a link to a file that does not exist; opening it
// with Open refuses such a link.
func Resolve(path string) (string, error) {
	if path == "" {
		return "", &fs.PathError{Op: "resolve", Path: path, Err: fs.ErrNotExist}
	}
	if !filepath.IsAbs(path) {
		wd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		// Not filepath.Join: it would apply ".." before the links are followed.
		path = wd + string(filepath.Separator) + path
	}
	return resolveExisting(path)
}

// resolveExisting resolves the longest leading part of the absolute path
// that exists and appends the rest.
func resolveExisting(path string) (string, error) {
	parts := strings.Split(path, string(filepath.Separator))
	// parts[0] is "" (the root). Find the longest prefix that resolves.
	for n := len(parts); n > 1; n-- {
		prefix := strings.Join(parts[:n], string(filepath.Separator))
		resolved, err := filepath.EvalSymlinks(prefix)
		if err == nil {
			rest := filepath.Join(parts[n:]...)
			if rest == "" {
				return resolved, nil
			}
			// The rest does not exist, so it holds no link; ".." in it
			// would fail in the kernel, and is applied lexically here.
			return filepath.Join(resolved, rest), nil
		}
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, errNotDir) {
			return "", err
		}
	}
	return filepath.Clean(path), nil
}

// PathList is an allow-list of paths: each entry allows itself and, when it
// is a directory, everything below it. The zero value allows nothing.
type PathList struct {
	all     bool
	entries []string // resolved, absolute
}

// NewPathList resolves entries (see Resolve) and returns the list. The entry
// All allows every path; empty entries are ignored. An entry that cannot be
// resolved (a directory on its way that cannot be searched) is kept as its
// clean absolute form, which allows only that very path.
func NewPathList(entries []string) PathList {
	var l PathList
	for _, e := range entries {
		switch e {
		case "":
			continue
		case All:
			l.all = true
			continue
		}
		r, err := Resolve(e)
		if err != nil {
			if r, err = filepath.Abs(e); err != nil {
				r = filepath.Clean(e)
			}
		}
		l.entries = append(l.entries, r)
	}
	return l
}

// AllowsAll reports whether the list has the entry All.
func (l PathList) AllowsAll() bool { return l.all }

// Contains reports whether the resolved path (a result of Resolve) is an
// entry of the list or below one.
func (l PathList) Contains(resolved string) bool {
	if l.all {
		return true
	}
	for _, e := range l.entries {
		if Within(resolved, e) {
			return true
		}
	}
	return false
}

// Within reports whether path is dir or below it; both must be clean and
// absolute.
func Within(path, dir string) bool {
	if path == dir || dir == string(filepath.Separator) {
		return true
	}
	return strings.HasPrefix(path, dir+string(filepath.Separator))
}
