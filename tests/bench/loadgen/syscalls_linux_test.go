//go:build linux

package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/starnet-dev/starnet/tests/bench/internal/result"
)

// needPerf skips the test unless perf is installed and we run as root, and
// points the temporary directory at one the test can check is left empty.
func needPerf(t *testing.T) (tmp string) {
	t.Helper()
	if _, err := exec.LookPath("perf"); err != nil {
		t.Skip("perf is not installed")
	}
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
	if left, _ := os.ReadDir(dir); len(left) > 0 {
		t.Errorf("%s left in %s", left[0].Name(), dir)
	}
}

func TestPingPongCountsSyscalls(t *testing.T) {
	tmp := needPerf(t)
	cfg := testConfig(serveEcho(t, echo), result.ModePingPong)
	cfg.syscalls = true // the test process is both client and server
	res, err := run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Each round trip takes at least a write and a read on each side.
	if res.ServerSyscalls < 3 || res.ServerSyscalls > 100 {
		t.Fatalf("want 3 to 100 system calls per request, got %v (notes %q)", res.ServerSyscalls, res.Notes)
	}
	t.Logf("%.2f system calls per request (client and server)", res.ServerSyscalls)
	assertEmpty(t, tmp)
}

func TestPerfFailureIsNoted(t *testing.T) {
	tmp := needPerf(t)
	cfg := testConfig("127.0.0.1:1", result.ModePingPong)
	cfg.pid, cfg.syscalls = 1<<30, true // no such process
	sc := startSyscallCount(cfg)
	sc.enable()
	sc.finish()
	if sc.err == nil || !strings.Contains(sc.err.Error(), "server syscalls: perf stat: ") {
		t.Fatalf("want a perf stat error, got %v", sc.err)
	}
	t.Log(sc.err)
	assertEmpty(t, tmp)
}
