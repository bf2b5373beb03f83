package starlarkbind

import (
	"net"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
)

// connectScript connects to (host, port), with local_addr when `local` is
// not None, and closes; `err` is the error message or None.
const connectScript = `
def connect():
    kw = {} if local == None else {"local_addr": local}
    t, _ = loop.run_until_complete(loop.create_connection(protocol("P"), host, port, **kw))
    t.close()
err = catch(connect)
`

// runConnect runs connectScript with perms and returns its err.
func runConnect(t *testing.T, perms Permissions, host string, port int, local starlark.Value) starlark.Value {
	t.Helper()
	te := newTestEnv(t, Options{Permissions: perms})
	te.e.Predeclare("host", starlark.String(host))
	te.e.Predeclare("port", starlark.MakeInt(port))
	te.e.Predeclare("local", local)
	g := te.exec(connectScript)
	te.run()
	return g["err"]
}

// listenLoopback listens on network's loopback address, or skips when the
// machine has none for that family.
func listenLoopback(t *testing.T, network, addr string) (net.Listener, int) {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Skipf("SKIP: no %s loopback here: %v", network, err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln, ln.Addr().(*net.TCPAddr).Port
}

// TestSandboxConnectToUnspecifiedIsLoopback: the kernel sends a connection
// to 0.0.0.0 or :: to loopback, so an entry for listening on the wildcard
// does not allow it, and a loopback entry does; confirmed by whether the
// loopback listener got the connection.
func TestSandboxConnectToUnspecifiedIsLoopback(t *testing.T) {
	for _, c := range []struct{ network, listen, wildcard, loopback string }{
		{"tcp4", "127.0.0.1:0", "0.0.0.0", "127.0.0.1"},
		{"tcp6", "[::1]:0", "::", "::1"},
	} {
		t.Run(c.network, func(t *testing.T) {
			ln, port := listenLoopback(t, c.network, c.listen)
			p := strconv.Itoa(port)
			wild := net.JoinHostPort(c.wildcard, p)
			err := runConnect(t, Permissions{Net: []string{wild}}, c.wildcard, port, starlark.None)
			lb := net.JoinHostPort(c.loopback, p)
			assert.Equal(t, starlark.String(`PermissionError: net access to "`+wild+`" (which reaches `+lb+`) denied; run with --allow-net=`+lb), err)
			requireNoConnection(t, ln)

			err = runConnect(t, Permissions{Net: []string{lb}}, c.wildcard, port, starlark.None)
			assert.Equal(t, starlark.None, err, "a loopback entry allows it")
			conn, acceptErr := ln.Accept()
			require.NoError(t, acceptErr)
			conn.Close()
		})
	}
}

// TestSandboxLocalAddrIsChecked: create_connection's local_addr is a bind,
// checked as one; confirmed by the connection not arriving when denied and
// arriving from that address when allowed.
func TestSandboxLocalAddrIsChecked(t *testing.T) {
	ln, port := listenLoopback(t, "tcp4", "127.0.0.1:0")
	local := starlark.Tuple{starlark.String("127.0.0.2"), starlark.MakeInt(0)}
	target := "127.0.0.1:" + strconv.Itoa(port)

	err := runConnect(t, Permissions{Net: []string{target}}, "127.0.0.1", port, local)
	assert.Equal(t, starlark.String(`PermissionError: net access to "127.0.0.2:0" denied; run with --allow-net=127.0.0.2:0`), err)
	requireNoConnection(t, ln)

	err = runConnect(t, Permissions{Net: []string{target, "127.0.0.2"}}, "127.0.0.1", port, local)
	require.Equal(t, starlark.None, err)
	conn, acceptErr := ln.Accept()
	require.NoError(t, acceptErr)
	defer conn.Close()
	assert.Equal(t, "127.0.0.2", conn.RemoteAddr().(*net.TCPAddr).IP.String(), "bound where local_addr said")
}

// TestSandboxServerChecksEveryBind: create_server(host=None) binds 0.0.0.0
// and ::, and each needs allowing; when one is denied the server fails
// and no socket is left serving (the loop goes idle, so run returns).
func TestSandboxServerChecksEveryBind(t *testing.T) {
	if ln, err := net.Listen("tcp6", "[::1]:0"); err != nil {
		t.Skipf("SKIP: no IPv6 here, so host=None binds only 0.0.0.0: %v", err)
	} else {
		ln.Close()
	}
	serve := func(perms Permissions) starlark.StringDict {
		te := newTestEnv(t, Options{Permissions: perms})
		g := te.exec(`
def serve():
    srv = loop.run_until_complete(loop.create_server(protocol("P"), None, 0))
    names.extend([s.getsockname()[0] for s in srv.sockets])
    srv.close()
names = []
err = catch(serve)
`)
		te.run() // fails the test if a server is left serving
		return g
	}
	g := serve(Permissions{Net: []string{"0.0.0.0"}})
	assert.Equal(t, starlark.String(`PermissionError: net access to "[::]:0" denied; run with --allow-net=[::]:0`), g["err"])
	assert.Equal(t, "[]", g["names"].String())

	g = serve(Permissions{Net: []string{"0.0.0.0", "::"}})
	assert.Equal(t, starlark.None, g["err"])
	assert.Equal(t, `["0.0.0.0", "::"]`, g["names"].String())
}
