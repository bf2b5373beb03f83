package starlarkbind

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
	"golang.org/x/sys/unix"
)

// Linux semantics: a FIFO opened non-blocking for reading reports no hang-up
// before its first writer (epoll); /proc/self/fd reopens a pipe.

// pyFIFOWriter opens the FIFO for writing (once the script holds it open
// for reading), writes lines in several writes, and closes it.
const pyFIFOWriter = `
import sys
with open(sys.argv[1], "wb", buffering=0) as f:
    for i in range(100):
        f.write(b"line %d\n" % i)
print("ok")
`

// TestFIFOs reads a FIFO with os.open and a read pipe transport while a
// python3 process writes it, and checks that opening a FIFO for writing
// without a reader fails at once.
func TestFIFOs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	te := newTestEnv(t, Options{Permissions: Permissions{Read: []string{dir}, Write: []string{dir}}, MaxSteps: 10_000_000})
	te.e.Predeclare("fifo", starlark.String(fifo))
	g := te.exec(`
# No reader yet: opening for writing fails at once instead of blocking the loop.
write_error = catch(lambda: os.open(fifo, "w"))

# Opening for reading does not wait for a writer; the transport sees data
# (and EOF) only once one has come.
chunks = []
eofs = []
lost = []
loop.connect_read_pipe(lambda: struct(
    data_received = lambda d: chunks.append(d),
    eof_received = lambda: eofs.append(True),
    connection_lost = lambda exc: lost.append(exc)), os.open(fifo, "r"))
`)
	// The reader is open once the loop has run an iteration; the writer's
	// open(2) blocks until then.
	py := testkit.StartPython(t, pyFIFOWriter, fifo)
	te.run()
	require.Equal(t, "ok", waitPython(t, py), "writer")
	assert.Contains(t, string(g["write_error"].(starlark.String)), "OSError: [Errno 6] No such device or address: '"+fifo+"'",
		"opening a FIFO without reader for writing")
	var text strings.Builder
	for c := range g["chunks"].(*starlark.List).Elements() {
		text.WriteString(string(c.(starlark.Bytes)))
	}
	assert.Equal(t, 100, strings.Count(text.String(), "\n"), "lines read: %q", text.String())
	assert.True(t, strings.HasSuffix(text.String(), "line 99\n"), "read %q", text.String())
	assert.Equal(t, "[True]", g["eofs"].String(), "eof_received")
	assert.Equal(t, "[None]", g["lost"].String(), "connection_lost")
}

// TestReopenStdioKeepsOwnFlags checks what connect_*_pipe(os.stdout) relies
// on: the descriptor a transport gets for a pipe is a new open file
// description, so making it non-blocking leaves the original blocking.
func TestReopenStdioKeepsOwnFlags(t *testing.T) {
	t.Parallel()
	var p [2]int
	require.NoError(t, unix.Pipe2(p[:], unix.O_CLOEXEC))
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	for _, c := range []struct {
		fd    int
		write bool
	}{{p[0], false}, {p[1], true}} {
		f, err := reopenStdio(c.fd, c.write)
		require.NoErrorf(t, err, "reopen %d", c.fd)
		fd, err := fileFD(f)
		require.NoError(t, err)
		require.NoError(t, unix.SetNonblock(fd, true))
		nb, err := isNonblock(c.fd)
		require.NoError(t, err)
		assert.Falsef(t, nb, "fd %d is non-blocking after its reopened copy was made so", c.fd)
		_ = f.Close()
	}
}

// fileFD is f's descriptor.
func fileFD(f *os.File) (int, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	err = rc.Control(func(p uintptr) { fd = int(p) })
	return fd, err
}

// isNonblock reports whether fd's open file description is non-blocking.
func isNonblock(fd int) (bool, error) {
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	return flags&unix.O_NONBLOCK != 0, err
}
