//go:build linux

package main

import (
	"os"
	"testing"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/starnet-dev/starnet/tests/bench/internal/result"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// needPerf skips the test unless perf is installed (testkit.RequireTool:
// under CI a missing perf is a failure) and we run as root, and points the
// temporary directory at one the test can check is left empty. It sets
// TMPDIR: the tests that call it are not parallel.
func needPerf(t *testing.T) (tmp string) {
	t.Helper()
	testkit.RequireTool(t, "perf")
	if os.Geteuid() != 0 {
		t.Skip("counting another process's system calls needs root")
	}
	tmp = t.TempDir()
	t.Setenv("TMPDIR", tmp)
	return tmp
}

// assertEmpty fails the test if perf's temporary directory was left in dir.
func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	left, err := os.ReadDir(dir)
	assert.NoError(t, err)
	assert.Empty(t, left, "left in %s", dir)
}

// TestPingPongCountsSyscalls: with -syscalls, perf counts the system calls
// per request of the server (here the test process itself, so the count
// includes the client's). It counts the whole process's calls and sets
// TMPDIR: not parallel.
func TestPingPongCountsSyscalls(t *testing.T) {
	tmp := needPerf(t)
	cfg := testConfig(serveEcho(t, echo), result.ModePingPong)
	cfg.syscalls = true // the test process is both client and server
	res, err := run(cfg)
	require.NoError(t, err)
	// Each round trip takes at least a write and a read on each side.
	require.True(t, res.ServerSyscalls >= 3 && res.ServerSyscalls <= 100, "want 3 to 100 system calls per request, got %v (notes %q)", res.ServerSyscalls, res.Notes)
	t.Logf("%.2f system calls per request (client and server)", res.ServerSyscalls)
	assertEmpty(t, tmp)
}

// TestPerfFailureIsNoted: a perf that cannot attach is reported as an
// error of the count, and leaves nothing in TMPDIR.
func TestPerfFailureIsNoted(t *testing.T) {
	tmp := needPerf(t)
	cfg := testConfig("127.0.0.1:1", result.ModePingPong)
	cfg.pid, cfg.syscalls = 1<<30, true // no such process
	sc := startSyscallCount(cfg)
	sc.enable()
	sc.finish()
	require.ErrorContains(t, sc.err, "server syscalls: perf stat: ")
	t.Log(sc.err)
	assertEmpty(t, tmp)
}
