package main

import (
	"testing"

	starnet "github.com/starnet-dev/starnet/runtime"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestParseMaxChildren: --max-children takes a non-negative count, 0
// meaning no cap; anything else is a usage error naming the flag.
func TestParseMaxChildren(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int{"1": 1, "300": 300, "0": starnet.NoChildLimit} {
		for _, args := range [][]string{{"--max-children", in, "s.star"}, {"--max-children=" + in, "s.star"}} {
			got, err := parseRunArgs(args)
			require.NoError(t, err, "%q", args)
			assert.Equal(t, want, got.maxChild, "%q", args)
		}
	}
	for _, in := range []string{"-1", "x", "1.5"} {
		_, err := parseRunArgs([]string{"--max-children=" + in, "s.star"})
		assert.EqualError(t, err, `--max-children wants a non-negative integer, got "`+in+`"`)
	}
}
