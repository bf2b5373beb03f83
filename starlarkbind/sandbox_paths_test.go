package starlarkbind

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
)

// sandboxTree makes, in a fresh directory, pub/ok.txt, outside/secret.txt,
// outside/sub/, and the links pub/etc -> outside, pub/lnk -> outside/sub and
// pub/dangling -> outside/new (which does not exist); it returns the
// directory, resolved.
func sandboxTree(t *testing.T) string {
	t.Helper()
	root, err := filepath.EvalSymlinks(t.TempDir())
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join(root, "pub"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "outside/sub"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "pub/ok.txt"), []byte("public"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(root, "outside/secret.txt"), []byte("secret"), 0o644))
	for link, target := range map[string]string{"pub/etc": "outside", "pub/lnk": "outside/sub", "pub/dangling": "outside/new"} {
		require.NoError(t, os.Symlink(filepath.Join(root, target), filepath.Join(root, link)))
	}
	return root
}

// readScript reads the file `path` through os.open and a read pipe into
// `got`; `err` is the open's error message, or None.
const readScript = `
got = []
def read():
    f = os.open(path, "r")
    loop.run_until_complete(loop.connect_read_pipe(lambda: struct(
        data_received = lambda d: got.append(str(d)),
        eof_received = lambda: None,
        connection_lost = lambda exc: None), f))
err = catch(read)
`

// TestSandboxReadFollowsLinks: --allow-read=pub allows what is really in
// pub, and refuses paths that links lead out of it — through a linked
// directory, through ".." after a link, through /proc/self/root — confirmed
// by what the script could read.
func TestSandboxReadFollowsLinks(t *testing.T) {
	root := sandboxTree(t)
	pub := filepath.Join(root, "pub")
	secret := filepath.Join(root, "outside/secret.txt")
	denied := func(path string) string {
		return fmt.Sprintf(`read access to %q (which resolves to %q) denied; run with --allow-read=%s`, path, secret, secret)
	}
	cases := []struct {
		name, path string
		allow      []string
		want       string // "" = allowed, and the file's content is read
	}{
		{"plain", pub + "/ok.txt", []string{pub}, ""},
		{"linked dir", pub + "/etc/secret.txt", []string{pub}, denied(pub + "/etc/secret.txt")},
		{"dotdot after link", pub + "/lnk/../secret.txt", []string{pub}, denied(pub + "/lnk/../secret.txt")},
		{"proc root", "/proc/self/root" + secret, []string{"/proc/self"}, denied("/proc/self/root" + secret)},
		{"entry is a link", pub + "/etc/secret.txt", []string{pub + "/etc"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			te := newTestEnv(t, Options{Permissions: Permissions{Read: c.allow}})
			te.e.Predeclare("path", starlark.String(c.path))
			g := te.exec(readScript)
			te.run()
			got := g["got"].(*starlark.List)
			if c.want == "" {
				require.Equal(t, starlark.None, g["err"])
				require.Equal(t, 1, got.Len())
				content, _ := os.ReadFile(c.path)
				assert.Equal(t, starlark.String(content), got.Index(0))
				return
			}
			assert.Contains(t, string(g["err"].(starlark.String)), "PermissionError: "+c.want)
			assert.Equal(t, 0, got.Len(), "nothing was read")
		})
	}
}

// TestSandboxWriteFollowsLinks: --allow-write=pub writes what is really in
// pub; a write through a linked directory or a dangling link creates
// nothing outside it.
func TestSandboxWriteFollowsLinks(t *testing.T) {
	root := sandboxTree(t)
	pub := filepath.Join(root, "pub")
	cases := []struct {
		name, path, created string
		want                string // "" = allowed: created gets "w"
	}{
		{"plain", pub + "/new.txt", pub + "/new.txt", ""},
		{"linked dir", pub + "/etc/planted.txt", root + "/outside/planted.txt", "PermissionError: write access to"},
		{"dotdot after link", pub + "/lnk/../planted.txt", root + "/outside/planted.txt", "PermissionError: write access to"},
		// The dangling link itself is in pub, but opening it would create
		// its target outside: the open refuses to follow it.
		{"dangling link", pub + "/dangling", root + "/outside/new", "OSError: [Errno 40]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			te := newTestEnv(t, Options{Permissions: Permissions{Write: []string{pub}}})
			te.e.Predeclare("path", starlark.String(c.path))
			g := te.exec(`
def write():
    w, _ = loop.run_until_complete(loop.connect_write_pipe(lambda: struct(connection_lost = lambda exc: None), os.open(path, "w")))
    w.write(b"w")
    w.close()
err = catch(write)
`)
			te.run()
			b, statErr := os.ReadFile(c.created)
			if c.want == "" {
				require.Equal(t, starlark.None, g["err"])
				assert.Equal(t, "w", string(b))
				return
			}
			assert.Contains(t, string(g["err"].(starlark.String)), c.want)
			assert.True(t, os.IsNotExist(statErr), "%s was created", c.created)
		})
	}
}

// TestSandboxCertificateFilesFollowLinks: ssl reads certificate files
// under the same rule.
func TestSandboxCertificateFilesFollowLinks(t *testing.T) {
	root := sandboxTree(t)
	pub := filepath.Join(root, "pub")
	te := newTestEnv(t, Options{Permissions: Permissions{Read: []string{pub}}})
	te.e.Predeclare("path", starlark.String(pub+"/etc/secret.txt"))
	g := te.exec(`err = catch(lambda: ssl.create_default_context(cafile = path))`)
	assert.Contains(t, string(g["err"].(starlark.String)), `PermissionError: read access to "`+pub+`/etc/secret.txt" (which resolves to`)
}

// TestSandboxUnixSocketPaths: a Unix server path through a linked directory
// is refused and no socket appears outside; an abstract name needs its own
// --allow-net entry, not file permissions.
func TestSandboxUnixSocketPaths(t *testing.T) {
	root := sandboxTree(t)
	pub := filepath.Join(root, "pub")
	abstract := fmt.Sprintf("@starnet-test-%d", os.Getpid())
	cases := []struct {
		name  string
		perms Permissions
		path  string
		want  string // "" = the server is created
	}{
		{"linked dir", Permissions{Read: []string{pub}, Write: []string{pub}}, pub + "/etc/s.sock", "PermissionError: write access to"},
		{"plain", Permissions{Write: []string{pub}}, pub + "/s.sock", ""},
		{"abstract by paths", Permissions{Read: []string{"/"}, Write: []string{"/"}}, abstract, `PermissionError: net access to the abstract Unix socket "` + abstract + `" denied; run with --allow-net=unix:` + abstract},
		{"abstract allowed", Permissions{Net: []string{"unix:" + abstract}}, abstract, ""},
		{"abstract, another name", Permissions{Net: []string{"unix:" + abstract + "x"}}, abstract, "PermissionError: net access to the abstract"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			te := newTestEnv(t, Options{Permissions: c.perms})
			te.e.Predeclare("path", starlark.String(c.path))
			g := te.exec(`
def serve():
    srv = loop.run_until_complete(loop.create_unix_server(protocol("P"), path))
    srv.close()
err = catch(serve)
`)
			te.run()
			if c.want == "" {
				require.Equal(t, starlark.None, g["err"])
				return
			}
			assert.Contains(t, string(g["err"].(starlark.String)), c.want)
			_, statErr := os.Lstat(root + "/outside/s.sock")
			assert.True(t, os.IsNotExist(statErr), "a socket was bound outside pub")
		})
	}

	// Connecting to an abstract server that exists is refused without the
	// entry: confirmed by the first connection the server accepts being the
	// test's own sentinel, which sends "S".
	ln, err := net.Listen("unix", abstract)
	require.NoError(t, err)
	defer ln.Close()
	te := newTestEnv(t, Options{Permissions: Permissions{Read: []string{"/"}, Write: []string{"/"}}})
	te.e.Predeclare("path", starlark.String(abstract))
	g := te.exec(`err = catch(lambda: loop.run_until_complete(loop.create_unix_connection(protocol("P"), path)))`)
	assert.Contains(t, string(g["err"].(starlark.String)), "PermissionError: net access to the abstract Unix socket")
	requireNoConnection(t, ln)
}

// requireNoConnection confirms by effect that nobody connected to ln: the
// test dials ln itself and sends "S", and the first connection ln accepts
// must be that one (a connection the script made would be queued first).
func requireNoConnection(t *testing.T, ln net.Listener) {
	t.Helper()
	sentinel, err := net.Dial(ln.Addr().Network(), ln.Addr().String())
	require.NoError(t, err)
	defer sentinel.Close()
	_, err = sentinel.Write([]byte("S"))
	require.NoError(t, err)
	first, err := ln.Accept()
	require.NoError(t, err)
	defer first.Close()
	require.NoError(t, first.SetReadDeadline(time.Now().Add(runTimeout)))
	b := make([]byte, 1)
	_, err = first.Read(b)
	require.NoError(t, err, "the first connection is not the sentinel: the script connected")
	assert.Equal(t, "S", string(b))
}
