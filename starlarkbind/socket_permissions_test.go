package starlarkbind

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
)

// permissionScript connects to host:port (a Go listener) and records the
// outcome.
const permissionScript = `
P = protocol("P")
res = loop.run_until_complete(loop.create_connection(P, host, port), return_exceptions = True)
if type(res) == "error":
    outcome = str(res)
else:
    outcome = "connected"
    res[0].close()
`

// TestNetPermissions checks --allow-net entries (hosts, names, ports,
// networks) against create_connection to names and addresses, and the
// message of a denial.
func TestNetPermissions(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	denied := func(host string) string {
		target := net.JoinHostPort(host, itoa(port))
		return fmt.Sprintf("PermissionError: net access to %q denied; run with --allow-net=%s", target, target)
	}
	cases := []struct {
		allow []string
		host  string
		want  string
	}{
		{nil, "127.0.0.1", denied("127.0.0.1")},
		{[]string{"127.0.0.2"}, "localhost", denied("localhost")},
		{[]string{"127.0.0.2"}, "127.0.0.1", denied("127.0.0.1")},
		{[]string{"localhost"}, "localhost", "connected"},
		{[]string{"localhost"}, "127.0.0.1", denied("127.0.0.1")},
		{[]string{"127.0.0.1"}, "localhost", "connected"},
		{[]string{"127.0.0.1"}, "127.0.0.1", "connected"},
		{[]string{"*"}, "localhost", "connected"},
		{[]string{":" + itoa(port)}, "127.0.0.1", "connected"},
		{[]string{":" + itoa(port+1)}, "127.0.0.1", denied("127.0.0.1")},
		{[]string{"127.0.0.1:" + itoa(port)}, "localhost", "connected"},
		{[]string{"localhost:" + itoa(port+1)}, "localhost", denied("localhost")},
		{[]string{"10.0.0.0/8"}, "localhost", denied("localhost")},
		{[]string{"127.0.0.0/8"}, "localhost", "connected"},
		{[]string{"127.0.0.0/8:" + itoa(port)}, "127.0.0.1", "connected"},
		{[]string{"[::1]:80", "LOCALHOST"}, "localhost", "connected"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.allow, ",")+"->"+c.host, func(t *testing.T) {
			t.Parallel()
			te := newTestEnv(t, Options{Permissions: Permissions{Net: c.allow}})
			te.e.Predeclare("host", starlark.String(c.host))
			te.e.Predeclare("port", starlark.MakeInt(port))
			g := te.exec(permissionScript)
			te.run()
			assert.Equal(t, c.want, string(g["outcome"].(starlark.String)), "outcome")
		})
	}
}

// TestListenPermissions checks --allow-net on create_server's addresses.
func TestListenPermissions(t *testing.T) {
	t.Parallel()
	te := newTestEnv(t, Options{Permissions: Permissions{Net: []string{"127.0.0.1:0"}}})
	g := te.exec(`
P = protocol("P")
ok = loop.run_until_complete(loop.create_server(P, "127.0.0.1", 0))
ok.close()
# localhost resolves to 127.0.0.1, which the entry allows.
ok2 = loop.run_until_complete(loop.create_server(P, "localhost", 0))
ok2.close()
denied = str(loop.run_until_complete(loop.create_server(P, "127.0.0.2", 0), return_exceptions = True))
any = str(loop.run_until_complete(loop.create_server(P, "", 0), return_exceptions = True))
`)
	te.run()
	assert.Equal(t, `"PermissionError: net access to \"127.0.0.2:0\" denied; run with --allow-net=127.0.0.2:0"`, g["denied"].String(), "denied")
	assert.Contains(t, g["any"].String(), `net access to \"0.0.0.0:0\" denied`, "any")
}

// TestUnixSocketPermissions checks that connecting to a Unix socket needs
// --allow-read of its path as well as --allow-write.
func TestUnixSocketPermissions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "s.sock")
	te := newTestEnv(t, Options{Permissions: Permissions{Write: []string{dir}}})
	te.e.Predeclare("path", starlark.String(path))
	g := te.exec(`
P = protocol("P")
srv = loop.run_until_complete(loop.create_unix_server(P, path))
conn = str(loop.run_until_complete(loop.create_unix_connection(P, path), return_exceptions = True))
srv.close()
`)
	te.run()
	got := g["conn"].String()
	assert.Contains(t, got, "read access to", "conn")
	assert.Contains(t, got, "--allow-read="+path, "conn")
}
