package starlarkbind

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.starlark.net/starlark"
)

// ioPermissions are the permissions of testdata/io/*.star: 127.0.0.1, the
// test's temporary directory, and the programs the scripts run.
func ioPermissions(tmp string) Permissions {
	return Permissions{
		Net:   []string{"127.0.0.1"},
		Read:  []string{tmp},
		Write: []string{tmp},
		Run:   []string{"sh", "cat", "echo", "sleep", "true", "false", "yes", "env", "pwd", "starnet-no-such-program"},
	}
}

// TestIOStarlarkFiles runs testdata/io/*.star (datagrams, pipes,
// subprocesses, sendfile) as TestStarlarkFiles runs testdata/*.star, with
// ioPermissions and `tmpdir` predeclared.
func TestIOStarlarkFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/io/*.star")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/io/*.star: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			tmp := t.TempDir()
			te := newTestEnv(t, Options{Permissions: ioPermissions(tmp), MaxSteps: 10_000_000})
			te.e.Predeclare("tmpdir", starlark.String(tmp))
			if _, err := te.e.Exec(file, src); err != nil {
				t.Fatalf("%s\nstderr:\n%s", backtrace(err), te.stderr)
			}
			te.run()
			if s := te.stderr.String(); s != "" && !strings.Contains(string(src), "# stderr-ok") {
				t.Errorf("unexpected reports on stderr:\n%s", s)
			}
			if n := te.e.OpenTransports(); n != 0 {
				t.Errorf("%d transports still open after the loop ran out of work", n)
			}
		})
	}
}
