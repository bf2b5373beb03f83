package tests

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pipeCopy runs tests/testdata/pipe_copy.star with args and the given
// stdin and stdout (nil: pipes os/exec makes) and returns its exit code,
// stdout (when it was a pipe) and stderr.
func pipeCopy(t *testing.T, stdin *os.File, stdout *os.File, input []byte, flags []string, args ...string) (int, []byte, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	all := append(append([]string{"run"}, flags...), append([]string{"tests/testdata/pipe_copy.star"}, args...)...)
	cmd := exec.CommandContext(ctx, starnetBin, all...)
	cmd.Dir = ".."
	var out, stderr bytes.Buffer
	cmd.Stderr = &stderr
	if stdin != nil {
		cmd.Stdin = stdin
	} else {
		cmd.Stdin = bytes.NewReader(input)
	}
	if stdout != nil {
		cmd.Stdout = stdout
	} else {
		cmd.Stdout = &out
	}
	err := cmd.Run()
	require.NoError(t, ctx.Err(), "pipe_copy still running after %v; stderr:\n%s", waitTimeout, stderr.String())
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return code, out.Bytes(), stderr.String()
}

// randomBytes returns n random bytes.
func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return b
}

// TestStdioPipes copies 5 MiB from stdin to stdout, both pipes.
func TestStdioPipes(t *testing.T) {
	t.Parallel()
	data := randomBytes(t, 5<<20)
	code, out, stderr := pipeCopy(t, nil, nil, data, nil)
	require.Equal(t, 0, code, "exit status; stderr:\n%s", stderr)
	require.True(t, bytes.Equal(out, data), "copied %d of %d bytes, or other bytes", len(out), len(data))
}

// TestStdioFiles: stdin and stdout redirected from and to regular files.
func TestStdioFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data := randomBytes(t, 1<<20)
	in := filepath.Join(dir, "in")
	require.NoError(t, os.WriteFile(in, data, 0o600))
	stdin, err := os.Open(in)
	require.NoError(t, err)
	defer stdin.Close()
	stdout, err := os.Create(filepath.Join(dir, "out"))
	require.NoError(t, err)
	defer stdout.Close()
	code, _, stderr := pipeCopy(t, stdin, stdout, nil, nil)
	got, err := os.ReadFile(filepath.Join(dir, "out"))
	require.NoError(t, err)
	require.Equal(t, 0, code, "exit status; stderr:\n%s", stderr)
	require.True(t, bytes.Equal(got, data), "copied %d of %d bytes, or other bytes", len(got), len(data))
}

// TestStdioDevNull: stdin is /dev/null, which ends at once.
func TestStdioDevNull(t *testing.T) {
	t.Parallel()
	devnull, err := os.Open(os.DevNull)
	require.NoError(t, err)
	defer devnull.Close()
	code, out, stderr := pipeCopy(t, devnull, nil, nil, nil)
	require.Equal(t, 0, code, "exit status; stderr:\n%s", stderr)
	require.Empty(t, out, "output")
}

// TestOpenFiles copies between files opened with os.open ("r", "w", "a"),
// under --allow-read and --allow-write.
func TestOpenFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	data := randomBytes(t, 3<<20)
	require.NoError(t, os.WriteFile(src, data, 0o600))
	require.NoError(t, os.WriteFile(dst, []byte("old contents, longer than the new ones are not"), 0o600))
	flags := []string{"--allow-read=" + src, "--allow-write=" + dir}
	// "w" truncates.
	code, _, stderr := pipeCopy(t, nil, nil, nil, flags, src, dst)
	require.Equal(t, 0, code, "copy: exit status; stderr:\n%s", stderr)
	got, err := os.ReadFile(dst)
	require.NoError(t, err)
	require.True(t, bytes.Equal(got, data), "dst has %d bytes, want the %d of src", len(got), len(data))
	// "a" appends; stdin ("-") is the source.
	code, _, stderr = pipeCopy(t, nil, nil, []byte("tail"), flags, "-", "+"+dst)
	require.Equal(t, 0, code, "append: exit status; stderr:\n%s", stderr)
	got, err = os.ReadFile(dst)
	require.NoError(t, err)
	require.True(t, bytes.Equal(got, append(append([]byte(nil), data...), "tail"...)), "dst has %d bytes after appending", len(got))
}

// TestOpenPermissionDenied checks --allow-read and --allow-write for
// os.open: the call fails with a PermissionError naming the flag, and the
// file is not touched.
func TestOpenPermissionDenied(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	require.NoError(t, os.WriteFile(src, []byte("secret"), 0o600))
	require.NoError(t, os.WriteFile(dst, []byte("keep"), 0o600))
	code, out, stderr := pipeCopy(t, nil, nil, nil, nil, src)
	assert.Equal(t, 1, code, "read: exit status")
	assert.Empty(t, out, "read: stdout")
	assert.Contains(t, stderr, `PermissionError: read access to "`+src+`" denied; run with --allow-read=`+src, "read: stderr")
	code, _, stderr = pipeCopy(t, nil, nil, []byte("x"), []string{"--allow-read=" + dir}, "-", dst)
	assert.Equal(t, 1, code, "write: exit status")
	assert.Contains(t, stderr, `PermissionError: write access to "`+dst+`" denied; run with --allow-write=`+dst, "write: stderr")
	got, err := os.ReadFile(dst)
	require.NoError(t, err)
	assert.Equal(t, "keep", string(got), "the denied write changed the file")
}

// pythonFIFOWriter writes argv[2] random bytes into the FIFO argv[1] and
// prints their count and a hash.
const pythonFIFOWriter = `
import hashlib, os, sys
data = os.urandom(int(sys.argv[2]))
with open(sys.argv[1], "wb") as f:
    f.write(data)
print(len(data), hashlib.sha256(data).hexdigest(), flush=True)
`

// TestOpenFIFO reads a FIFO that python3 writes: os.open does not wait for
// the writer, and the transport reads until the writer closes.
func TestOpenFIFO(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	writer := testkit.StartPython(t, pythonFIFOWriter, fifo, "2000000")
	code, out, stderr := pipeCopy(t, nil, nil, nil, []string{"--allow-read=" + dir}, fifo)
	require.Equal(t, 0, code, "exit status; stderr:\n%s", stderr)
	want := strings.Fields(writer.WaitLine("2000000 "))
	assert.Equal(t, 2000000, len(out), "bytes read")
	assert.Equal(t, want[1], sha256Hex(out), "SHA-256 of what was read")
}

// sha256Hex is the hex SHA-256 of b.
func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
