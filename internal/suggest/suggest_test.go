package suggest

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestEditDistance: insertions, deletions and substitutions count one each.
func TestEditDistance(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"abc", "abc", 0}, {"", "abc", 3}, {"kitten", "sitting", 3}, {"data_recieved", "data_received", 2}, {"--max-step", "--max-steps", 1}} {
		assert.Equal(t, c.want, EditDistance(c.a, c.b), "%q %q", c.a, c.b)
		assert.Equal(t, c.want, EditDistance(c.b, c.a), "%q %q", c.b, c.a)
	}
}

// TestClosest: the nearest candidate within the bound, the first on a tie,
// none past the bound.
func TestClosest(t *testing.T) {
	t.Parallel()
	cands := []string{"connection_made", "connection_lost", "data_received"}
	assert.Equal(t, "data_received", Closest("data_recieved", cands, 2))
	assert.Equal(t, "connection_made", Closest("connection_mad", cands, 2))
	assert.Equal(t, "", Closest("something_else", cands, 2))
	assert.Equal(t, "ab", Closest("a", []string{"ab", "ac"}, 1))
}
