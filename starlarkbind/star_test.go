package starlarkbind

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.starlark.net/starlark"
)

// TestStarlarkFiles runs testdata/*.star with the starlarktest assert
// module, then runs the loop until it is idle. A file may not leave reports
// on stderr unless it says "# stderr-ok".
func TestStarlarkFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/*.star")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/*.star: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			te := newTestEnv(t, Options{Permissions: allowLocal, MaxSteps: 10_000_000})
			te.e.Predeclare("tmpdir", starlark.String(t.TempDir()))
			if _, err := te.e.Exec(file, src); err != nil {
				t.Fatalf("%s\nstderr:\n%s", backtrace(err), te.stderr)
			}
			te.run()
			if s := te.stderr.String(); s != "" && !strings.Contains(string(src), "# stderr-ok") {
				t.Errorf("unexpected reports on stderr:\n%s", s)
			}
		})
	}
}
