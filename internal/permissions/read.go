package permissions

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// ReadFile reads the whole of the resolved path (a result of Resolve),
// opened with Open, so that no symbolic link is followed.
func ReadFile(resolved string) ([]byte, error) {
	fd, err := Open(resolved, unix.O_RDONLY, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: resolved, Err: err}
	}
	f := os.NewFile(uintptr(fd), resolved)
	defer f.Close()
	return io.ReadAll(f)
}
