package runtime

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConfigMaxChildren: 0 is the default cap, NoChildLimit none, a
// positive number that cap; other negatives are refused by New.
func TestConfigMaxChildren(t *testing.T) {
	t.Parallel()
	assert.Equal(t, DefaultMaxChildren, Config{}.childLimit().Max())
	assert.Equal(t, 7, Config{MaxChildren: 7}.childLimit().Max())
	assert.Nil(t, Config{MaxChildren: NoChildLimit}.childLimit())
	_, err := New(Config{MaxChildren: -2})
	require.EqualError(t, err, "starnet: MaxChildren must be positive, 0 (the default) or NoChildLimit, got -2")
}
