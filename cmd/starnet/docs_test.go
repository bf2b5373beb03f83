package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// docBlock finds a fenced starlark block and, after it, the output block.
var docBlock = regexp.MustCompile("(?s)```starlark\n(.*?)```\\s*```output\n(.*?)```")

// TestDocsExamples: every starlark example of
// docs/starlark-for-asyncio-users.md runs through the CLI, exits 0 with
// nothing on stderr, and prints the output block that follows it.
func TestDocsExamples(t *testing.T) {
	t.Parallel()
	page, err := os.ReadFile(filepath.Join("..", "..", "docs", "starlark-for-asyncio-users.md"))
	require.NoError(t, err)
	blocks := docBlock.FindAllStringSubmatch(string(page), -1)
	require.GreaterOrEqual(t, len(blocks), 6, "examples found")
	require.Equal(t, strings.Count(string(page), "```starlark\n"), len(blocks), "every starlark block has an output block")
	for i, b := range blocks {
		r := runStarnet(t, "run", script(t, "example.star", b[1]))
		assert.Equal(t, 0, r.code, "example %d:\n%s\nstderr:\n%s", i+1, b[1], r.stderr)
		assert.Empty(t, r.stderr, "example %d", i+1)
		assert.Equal(t, b[2], r.stdout, "example %d:\n%s", i+1, b[1])
	}
}
