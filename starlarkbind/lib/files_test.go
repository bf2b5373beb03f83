package lib

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// swapFS allows everything, but first runs swap: a link swapped in between
// the check and the open.
type swapFS struct{ swap func() }

func (f swapFS) Check(kind, path, resolved string) error { f.swap(); return nil }

func (f swapFS) PathError(err error, path string) error { return fmt.Errorf("%s: %w", path, err) }

// TestFileFunctionsOpenWhatWasChecked: when a directory on the checked
// path is replaced by a link after the check, every file function fails
// instead of following the link, and the link's target is untouched.
func TestFileFunctionsOpenWhatWasChecked(t *testing.T) {
	t.Parallel()
	for _, call := range []string{
		`os.read_file(d + "/f")`, `os.write_file(d + "/f", "pwned")`, `os.write_file(d + "/new", "pwned")`,
		`os.listdir(d)`, `os.stat(d + "/f")`, `os.remove(d + "/f")`, `os.path.getsize(d + "/f")`,
	} {
		t.Run(call, func(t *testing.T) {
			t.Parallel()
			root, err := filepath.EvalSymlinks(t.TempDir())
			require.NoError(t, err)
			d, outside := filepath.Join(root, "d"), filepath.Join(root, "outside")
			require.NoError(t, os.Mkdir(d, 0o755))
			require.NoError(t, os.Mkdir(outside, 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(d, "f"), []byte("mine"), 0o644))
			require.NoError(t, os.WriteFile(filepath.Join(outside, "f"), []byte("theirs"), 0o644))
			swapped := false
			fs := swapFS{swap: func() {
				if !swapped {
					swapped = true
					require.NoError(t, os.Rename(d, d+".old"))
					require.NoError(t, os.Symlink(outside, d))
				}
			}}
			predeclared := starlark.StringDict{
				"os": moduleOf("os", FileFunctions(fs)),
				"d":  starlark.String(d),
			}
			_, err = starlark.ExecFileOptions(&syntax.FileOptions{}, &starlark.Thread{}, "swap.star", call, predeclared)
			require.Error(t, err, "the call went through the swapped-in link")
			assert.Contains(t, err.Error(), "too many levels of symbolic links", "ELOOP from the open")
			assertUntouched(t, outside)
		})
	}
}

func assertUntouched(t *testing.T, outside string) {
	t.Helper()
	content, err := os.ReadFile(filepath.Join(outside, "f"))
	require.NoError(t, err)
	assert.Equal(t, "theirs", string(content))
	_, err = os.Stat(filepath.Join(outside, "new"))
	assert.True(t, os.IsNotExist(err), "a file was made through the link")
}
