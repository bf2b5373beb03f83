package starlarkbind

import (
	"net"
	"os"
	"os/exec"
	"testing"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestListenFDs runs this test binary as a child that receives a listening
// socket the systemd way (fd 3, LISTEN_FDS=1, LISTEN_PID=its pid), and
// checks that os.listen_fds() gives it to the script, which serves on it.
func TestListenFDs(t *testing.T) {
	if os.Getenv("STARNET_LISTEN_FDS_CHILD") == "1" {
		listenFDsChild(t)
		return
	}
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	f, err := ln.(*net.TCPListener).File()
	require.NoError(t, err)
	defer f.Close()
	cmd := exec.Command("/bin/sh", "-c", `LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" -test.run '^TestListenFDs$' -test.v`, os.Args[0])
	cmd.Env = append(os.Environ(), "STARNET_LISTEN_FDS_CHILD=1", "STARNET_LISTEN_ADDR="+ln.Addr().String())
	cmd.ExtraFiles = []*os.File{f}
	child := testkit.Start(t, "the test binary with LISTEN_FDS=1", cmd)
	assert.Contains(t, child.Wait(2*testkit.WaitTimeout), "--- PASS: TestListenFDs", "the child's output")
}

// listenFDsChild is TestListenFDs in the child.
func listenFDsChild(t *testing.T) {
	te := newTestEnv(t, Options{})
	host, port, err := net.SplitHostPort(os.Getenv("STARNET_LISTEN_ADDR"))
	require.NoError(t, err)
	g := te.exec(`
socks = os.listen_fds()
assert.eq(len(socks), 1)
assert.true(os.listen_fds()[0] == socks[0])
s = socks[0]
assert.eq(s.fileno(), 3)
assert.eq((s.family, s.type), (2, 1))
got = s.getsockname()
srv = loop.run_until_complete(loop.create_server(protocol("P"), sock = s))
served = srv.sockets[0].getsockname()
srv.close()
`)
	te.run()
	want := `("` + host + `", ` + port + `)`
	assert.Equal(t, want, g["got"].String(), "sockname")
	assert.Equal(t, want, g["served"].String(), "served on")
}
