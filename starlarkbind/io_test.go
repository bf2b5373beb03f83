package starlarkbind

import (
	"testing"
)

// ioPermissions are the permissions of testdata/io/*.star: 127.0.0.1, the
// test's temporary directory, and the programs the scripts run.
func ioPermissions(tmp string) Permissions {
	return Permissions{
		Net:   []string{"127.0.0.1"},
		Read:  []string{tmp},
		Write: []string{tmp},
		Run:   []string{"sh", "cat", "echo", "sleep", "true", "false", "yes", "env", "pwd", "starnet-no-such-program"},
	}
}

// TestIOStarlarkFiles runs testdata/io/*.star (datagrams, pipes,
// subprocesses, sendfile) as TestStarlarkFiles runs testdata/*.star, with
// ioPermissions and `tmpdir` predeclared, and checks that no transport is
// left open.
func TestIOStarlarkFiles(t *testing.T) {
	t.Parallel()
	runStarFiles(t, "testdata/io/*.star", ioPermissions, true)
}
