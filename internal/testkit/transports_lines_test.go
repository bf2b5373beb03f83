package testkit

import (
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestProcessUnreadAfterLines: Unread returns what follows the consumed
// lines, AwaitLine consumes like WaitLine, and an exit ends AwaitLine with
// an error rather than a failed test.
func TestProcessUnreadAfterLines(t *testing.T) {
	p := Start(t, "sh", exec.Command("sh", "-c", `echo one; echo two; echo three; printf four`))
	line, err := p.AwaitLine("tw", WaitTimeout)
	require.NoError(t, err)
	assert.Equal(t, "two", line)
	require.Equal(t, 0, p.WaitExit(WaitTimeout))
	assert.Equal(t, "three\nfour", p.Unread())
	_, err = p.AwaitLine("five", time.Second)
	assert.Error(t, err)
}
