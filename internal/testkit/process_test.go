package testkit

import (
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestProcessLinesInOrder: WaitLine consumes the lines up to the one it
// finds, ReadLine returns the next one, and a last line without a newline
// still counts once the process has exited.
func TestProcessLinesInOrder(t *testing.T) {
	p := Start(t, "sh", exec.Command("sh", "-c", `echo one; echo two; echo three; printf four; exit 3`))
	assert.Equal(t, "two", p.WaitLine("tw"))
	assert.Equal(t, "three", p.ReadLine())
	assert.Equal(t, 3, p.WaitExit(WaitTimeout))
	assert.Equal(t, "four", p.ReadLine())
	assert.Equal(t, "one\ntwo\nthree\nfour", p.Stdout())
	assert.False(t, p.Running())
	require.NotNil(t, p.State())
}

// TestProcessStdinAndStderr: what the test writes to Stdin reaches the
// child, and its stderr is kept apart from stdout.
func TestProcessStdinAndStderr(t *testing.T) {
	p := Start(t, "sh", exec.Command("sh", "-c", `read x; echo "got $x"; echo oops >&2`))
	_, err := p.Stdin.Write([]byte("hello\n"))
	require.NoError(t, err)
	assert.Equal(t, "got hello\n", p.Wait(WaitTimeout))
	assert.Equal(t, "oops\n", p.Stderr())
}

// TestRunPython: RunPython returns the peer's stdout.
func TestRunPython(t *testing.T) {
	assert.Equal(t, "3 x\n", RunPython(t, `import sys; print(len(sys.argv), sys.argv[2])`, "w", "x"))
}

// TestRequireToolFindsSh: a tool that is installed is found, with its path.
func TestRequireToolFindsSh(t *testing.T) {
	assert.NotEmpty(t, RequireTool(t, "sh"))
}

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
