// Package layering checks the direction of imports that docs/ARCHITECTURE
// (and each package's doc comment) states: no package imports one to its
// right in loop ◀ transports ◀ starlarkbind ◀ runtime ◀ cmd/starnet, the
// lower packages import no Starlark, and the test helpers never reach a
// binary. It reads `go list -deps`, so it checks what is compiled, not
// what the comments say.
package layering

import (
	"os/exec"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const module = "github.com/starnet-dev/starnet"

// deps returns the non-standard-library packages pkg depends on
// (transitively, itself excluded), for the target GOOS.
func deps(t *testing.T, goos, pkg string) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", pkg)
	cmd.Env = append(cmd.Environ(), "GOOS="+goos)
	out, err := cmd.Output()
	require.NoError(t, err, "go list -deps %s", pkg)
	var list []string
	for _, line := range strings.Fields(string(out)) {
		if line != pkg {
			list = append(list, line)
		}
	}
	sort.Strings(list)
	return list
}

// TestImportLayering: each package depends only on what its layer may
// import, on Linux and on macOS.
func TestImportLayering(t *testing.T) {
	allowed := map[string][]string{
		"loop":                 {"golang.org/x/sys/"},
		"internal/permissions": {"golang.org/x/sys/"},
		"internal/suggest":     {},
		"transports":           {module + "/loop", "golang.org/x/sys/"},
		"starlarkbind": {module + "/loop", module + "/transports", module + "/internal/permissions", module + "/internal/suggest",
			module + "/starlarkbind/", "go.starlark.net/", "golang.org/x/sys/", "golang.org/x/crypto/"},
		"runtime": {module + "/loop", module + "/transports", module + "/starlarkbind", module + "/internal/permissions", module + "/internal/suggest",
			"go.starlark.net/", "golang.org/x/sys/", "golang.org/x/crypto/"},
		"cmd/starnet": {module + "/runtime", module + "/loop", module + "/transports", module + "/starlarkbind",
			module + "/internal/permissions", module + "/internal/suggest", "go.starlark.net/", "golang.org/x/sys/", "golang.org/x/crypto/"},
	}
	for _, goos := range []string{"linux", "darwin"} {
		for pkg, may := range allowed {
			for _, dep := range deps(t, goos, module+"/"+pkg) {
				ok := false
				for _, prefix := range may {
					if strings.HasPrefix(dep, prefix) || dep == strings.TrimSuffix(prefix, "/") {
						ok = true
						break
					}
				}
				assert.True(t, ok, "%s (GOOS=%s) depends on %s, which its layer may not import", pkg, goos, dep)
			}
		}
	}
}

// TestTestHelpersStayInTests: the packages made for tests (testkit, testpki)
// and the testing frameworks are not compiled into the command.
func TestTestHelpersStayInTests(t *testing.T) {
	for _, dep := range deps(t, "linux", module+"/cmd/starnet") {
		assert.NotContains(t, dep, "/internal/test", "the starnet command depends on a test helper")
		assert.NotContains(t, dep, "stretchr/testify", "the starnet command depends on testify")
	}
}
