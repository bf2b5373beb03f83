package tests

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// galleryScripts returns the names of the scripts in scripts/ ("echo_server.star").
func galleryScripts(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob("../scripts/*.star")
	require.NoError(t, err)
	require.NotEmpty(t, paths, "no scripts in ../scripts")
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = filepath.Base(p)
	}
	return names
}

// TestCheckScripts: `starnet check` accepts every script of the gallery.
func TestCheckScripts(t *testing.T) {
	t.Parallel()
	for _, name := range galleryScripts(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runScript(t, "check", "scripts/"+name)
			require.Equal(t, 0, code, "starnet check's exit status\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
			assert.NotContains(t, stdout+stderr, "Traceback", "check printed a traceback")
		})
	}
}

// TestGalleryDocumented: every script opens with a comment naming it and
// saying how to run it ("starnet run ... scripts/NAME"), is listed in the
// README's examples table, and is run by a test of this package.
func TestGalleryDocumented(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	tests := testSources(t)
	for _, name := range galleryScripts(t) {
		src, err := os.ReadFile("../scripts/" + name)
		require.NoError(t, err)
		header := leadingComment(string(src))
		assert.True(t, strings.HasPrefix(header, "# "+name+" — "), "%s: the first line is not \"# %s — what it does\"", name, name)
		run := regexp.MustCompile(`(?m)^#\s+starnet run .*scripts/` + regexp.QuoteMeta(name) + `\b`)
		assert.Regexp(t, run, header, "%s: the header has no \"starnet run ... scripts/%s\" line", name, name)
		assert.True(t, strings.Contains(string(readme), "`"+name+"`"), "%s: not in README's examples table", name)
		assert.True(t, strings.Contains(tests, `"scripts/`+name+`"`), "%s: no test of package tests runs it", name)
	}
}

// leadingComment returns the lines of src up to the first that is not a comment.
func leadingComment(src string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(src, "\n") {
		if !strings.HasPrefix(line, "#") {
			break
		}
		b.WriteString(line)
	}
	return b.String()
}

// testSources returns the Go test files of this package, concatenated.
func testSources(t *testing.T) string {
	t.Helper()
	paths, err := filepath.Glob("*_test.go")
	require.NoError(t, err)
	var b strings.Builder
	for _, p := range paths {
		src, err := os.ReadFile(p)
		require.NoError(t, err)
		b.Write(src)
	}
	return b.String()
}
