package testkit

import (
	"os"
	"os/exec"
	"strconv"
	"testing"
)

// toolPackages names the Debian package that provides each external tool the
// tests use, for the message a missing tool gets.
var toolPackages = map[string]string{
	"python3": "python3",
	"socat":   "socat",
	"openssl": "openssl",
	"perf":    "linux-perf",
	"curl":    "curl",
}

// InCI reports whether the tests run in CI (the CI environment variable is
// set to a true value, as .ci/run's environment has it).
func InCI() bool {
	on, err := strconv.ParseBool(os.Getenv("CI"))
	return err == nil && on
}

// RequireTool returns the path of the external program name that a test
// needs as a peer (python3, socat, openssl, ...). When it is not installed
// the test is skipped with a message that says how to install it, or, in CI
// (InCI), fails: CI must have every peer, so a missing one is a broken CI
// setup, never a silent skip.
func RequireTool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	pkg := toolPackages[name]
	if pkg == "" {
		pkg = name
	}
	if InCI() {
		t.Fatalf("this test needs %s, which is not installed; .ci/run must install it (apt-get install -y %s)", name, pkg)
	}
	t.Skipf("SKIP: this test needs %s, which is not installed (apt-get install -y %s; with CI=true this is a failure)", name, pkg)
	return ""
}
