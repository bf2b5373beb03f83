package starlarkbind

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.starlark.net/starlark"
)

// TestUnixEchoAndExtraInfo echoes over a Unix socket between a script's
// server and client, and checks the server transport's get_extra_info.
func TestUnixEchoAndExtraInfo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "e.sock")
	te := newTestEnv(t, Options{Permissions: Permissions{Read: []string{dir}, Write: []string{dir}}})
	te.e.Predeclare("path", starlark.String(path))
	g := te.exec(`
info = {}
def made(self, t):
    self.t = t
    info["sockname"] = t.get_extra_info("sockname")
    sock = t.get_extra_info("socket")
    info["family"] = sock.family
    info["fileno"] = sock.fileno() > 2
    info["missing"] = t.get_extra_info("nope", "dflt")
S = protocol("S", connection_made = made, data_received = lambda self, d: self.t.write(d + b"!"))
srv = loop.run_until_complete(loop.create_unix_server(S, path))
got = []
C = protocol("C", data_received = lambda self, d: got.append(d) or srv.close() or self.t.close(),
             connection_made = lambda self, t: setattr_t(self, t))
def setattr_t(self, t):
    self.t = t
    t.write("hello")
tr, pr = loop.run_until_complete(loop.create_unix_connection(C, path))
`)
	te.run()
	assert.Equal(t, `[b"hello!"]`, g["got"].String(), "got")
	info := g["info"].(*starlark.Dict)
	for key, want := range map[string]string{"sockname": fmt.Sprintf("%q", path), "family": itoa(syscall.AF_UNIX), "fileno": "True", "missing": `"dflt"`} {
		v, _, _ := info.Get(starlark.String(key))
		if assert.NotNilf(t, v, "info[%s]", key) {
			assert.Equalf(t, want, v.String(), "info[%s]", key)
		}
	}
	if _, err := os.Stat(path); err == nil {
		t.Logf("note: socket file %s left behind after close", path)
	}
}
