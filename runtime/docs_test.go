package runtime

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// snippetMarker precedes, in README.md and docs/API.md, the Go snippet
// whose lines all come from example_test.go.
const snippetMarker = "<!-- snippet: runtime/example_test.go -->"

// TestDocSnippetsComeFromTheExamples: every code line of the embedding
// snippet in README.md and docs/API.md §7 (its comment aside) is a line of
// example_test.go, whose examples go test compiles and runs, so that the
// documented calls are ones that work.
func TestDocSnippetsComeFromTheExamples(t *testing.T) {
	t.Parallel()
	example, err := os.ReadFile("example_test.go")
	require.NoError(t, err)
	lines := make(map[string]bool)
	for line := range strings.Lines(string(example)) {
		lines[codeOf(line)] = true
	}
	for _, doc := range []string{"README.md", filepath.Join("docs", "API.md")} {
		text, err := os.ReadFile(filepath.Join("..", doc))
		require.NoError(t, err)
		snippet := snippetAfterMarker(t, doc, string(text))
		n := 0
		for line := range strings.Lines(snippet) {
			code := codeOf(line)
			if code == "" {
				continue
			}
			n++
			assert.True(t, lines[code], "%s: snippet line %q is not in runtime/example_test.go", doc, code)
		}
		assert.Greater(t, n, 10, "%s: the snippet has too few lines", doc)
	}
}

// snippetAfterMarker returns the fenced code block after snippetMarker.
func snippetAfterMarker(t *testing.T, doc, text string) string {
	t.Helper()
	_, rest, ok := strings.Cut(text, snippetMarker+"\n```go\n")
	require.True(t, ok, "%s: no %s followed by a ```go block", doc, snippetMarker)
	snippet, _, ok := strings.Cut(rest, "\n```\n")
	require.True(t, ok, "%s: the snippet's block does not end", doc)
	return snippet
}

// codeOf returns line without its // comment and surrounding space; a
// comment in a string would be cut too, which the snippets avoid.
func codeOf(line string) string {
	if i := strings.Index(line, "// "); i >= 0 {
		line = line[:i]
	}
	return strings.TrimSpace(line)
}
