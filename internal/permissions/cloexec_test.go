package permissions

import (
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// TestCloseInheritedOnExec: a descriptor without close-on-exec (as one
// inherited from a parent) is not passed to a child once
// CloseInheritedOnExec ran, and stays usable in the process; by both ways
// of marking. The test runs in a child test process, since it changes the
// process's descriptors.
func TestCloseInheritedOnExec(t *testing.T) {
	if mode := os.Getenv("STARNET_CLOEXEC_CHILD"); mode != "" {
		cloexecChild(t, mode)
		return
	}
	for _, mode := range []string{"range", "listed"} {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestCloseInheritedOnExec$", "-test.v")
		cmd.Env = append(os.Environ(), "STARNET_CLOEXEC_CHILD="+mode)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s:\n%s", mode, out)
		assert.Contains(t, string(out), "--- PASS: TestCloseInheritedOnExec", mode)
	}
}

// cloexecChild opens a descriptor without close-on-exec, checks that a
// shell would see it, marks, and checks that a shell no longer does.
func cloexecChild(t *testing.T, mode string) {
	fds := make([]int, 2)
	require.NoError(t, unix.Pipe(fds)) // no O_CLOEXEC: inheritable
	inherited := strconv.Itoa(fds[0])
	sees := func() bool {
		err := exec.Command("/bin/sh", "-c", "exec 9<&"+inherited).Run()
		return err == nil
	}
	require.True(t, sees(), "the child sees the descriptor before")
	if mode == "range" {
		if err := closeRangeOnExec(); err != nil {
			t.Skipf("SKIP: close_range: %v", err)
		}
	} else {
		require.NoError(t, markListedOnExec())
	}
	assert.False(t, sees(), "the child sees the descriptor after")
	_, err := unix.Write(fds[1], []byte("x"))
	require.NoError(t, err, "the process still uses it")
	require.NoError(t, CloseInheritedOnExec())
}
