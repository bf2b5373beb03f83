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
	if ctx.Err() != nil {
		t.Fatalf("pipe_copy still running after %v: %s", waitTimeout, stderr.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.Bytes(), stderr.String()
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestStdioPipes copies 5 MiB from stdin to stdout, both pipes.
func TestStdioPipes(t *testing.T) {
	data := randomBytes(t, 5<<20)
	code, out, stderr := pipeCopy(t, nil, nil, data, nil)
	if code != 0 || !bytes.Equal(out, data) {
		t.Fatalf("exit %d, copied %d of %d bytes: %s", code, len(out), len(data), stderr)
	}
}

// TestStdioFiles: stdin and stdout redirected from and to regular files.
func TestStdioFiles(t *testing.T) {
	dir := t.TempDir()
	data := randomBytes(t, 1<<20)
	in := filepath.Join(dir, "in")
	if err := os.WriteFile(in, data, 0o600); err != nil {
		t.Fatal(err)
	}
	stdin, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := os.Create(filepath.Join(dir, "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	code, _, stderr := pipeCopy(t, stdin, stdout, nil, nil)
	got, _ := os.ReadFile(filepath.Join(dir, "out"))
	if code != 0 || !bytes.Equal(got, data) {
		t.Fatalf("exit %d, copied %d of %d bytes: %s", code, len(got), len(data), stderr)
	}
}

// TestStdioDevNull: stdin is /dev/null, which ends at once.
func TestStdioDevNull(t *testing.T) {
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	code, out, stderr := pipeCopy(t, devnull, nil, nil, nil)
	if code != 0 || len(out) != 0 {
		t.Fatalf("exit %d, output %q: %s", code, out, stderr)
	}
}

// TestOpenFiles copies between files opened with os.open ("r", "w", "a"),
// under --allow-read and --allow-write.
func TestOpenFiles(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	data := randomBytes(t, 3<<20)
	if err := os.WriteFile(src, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, []byte("old contents, longer than the new ones are not"), 0o600); err != nil {
		t.Fatal(err)
	}
	flags := []string{"--allow-read=" + src, "--allow-write=" + dir}
	// "w" truncates.
	if code, _, stderr := pipeCopy(t, nil, nil, nil, flags, src, dst); code != 0 {
		t.Fatalf("copy: exit %d: %s", code, stderr)
	}
	if got, _ := os.ReadFile(dst); !bytes.Equal(got, data) {
		t.Fatalf("dst has %d bytes, want the %d of src", len(got), len(data))
	}
	// "a" appends; stdin ("-") is the source.
	if code, _, stderr := pipeCopy(t, nil, nil, []byte("tail"), flags, "-", "+"+dst); code != 0 {
		t.Fatalf("append: exit %d: %s", code, stderr)
	}
	if got, _ := os.ReadFile(dst); !bytes.Equal(got, append(append([]byte(nil), data...), "tail"...)) {
		t.Fatalf("dst has %d bytes after appending", len(got))
	}
}

// TestOpenPermissionDenied checks --allow-read and --allow-write for
// os.open: the call fails with a PermissionError naming the flag, and the
// file is not touched.
func TestOpenPermissionDenied(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	if err := os.WriteFile(src, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := pipeCopy(t, nil, nil, nil, nil, src)
	if want := `PermissionError: read access to "` + src + `" denied; run with --allow-read=` + src; code != 1 || len(out) != 0 || !strings.Contains(stderr, want) {
		t.Errorf("read: exit %d, stdout %q, stderr %q; want 1 and %q", code, out, stderr, want)
	}
	code, _, stderr = pipeCopy(t, nil, nil, []byte("x"), []string{"--allow-read=" + dir}, "-", dst)
	if want := `PermissionError: write access to "` + dst + `" denied; run with --allow-write=` + dst; code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("write: exit %d, stderr %q; want 1 and %q", code, stderr, want)
	}
	if got, _ := os.ReadFile(dst); string(got) != "keep" {
		t.Errorf("denied write changed the file: %q", got)
	}
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
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	writer := startPython(t, pythonFIFOWriter, fifo, "2000000")
	code, out, stderr := pipeCopy(t, nil, nil, nil, []string{"--allow-read=" + dir}, fifo)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := strings.Fields(writer.waitLine("2000000 "))
	if got := sha256Hex(out); len(out) != 2000000 || got != want[1] {
		t.Errorf("read %d bytes (%s), want 2000000 (%s)", len(out), got, want[1])
	}
}

// sha256Hex is the hex SHA-256 of b.
func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
