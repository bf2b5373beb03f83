package transports

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// TestStreamSockname checks that the transport's own way of reading a
// stream socket's local address gives what Socket.Getsockname gives.
func TestStreamSockname(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cases := []struct {
		name, network, addr string
		family              int
	}{
		{"ipv4", "tcp4", "127.0.0.1:0", unix.AF_INET},
		{"ipv6", "tcp6", "[::1]:0", unix.AF_INET6},
		{"unix", "unix", filepath.Join(dir, "s"), unix.AF_UNIX},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ln, err := net.Listen(c.network, c.addr)
			if err != nil {
				t.Skipf("cannot listen on %s here: %v", c.addr, err)
			}
			defer ln.Close()
			conn, err := net.Dial(c.network, ln.Addr().String())
			require.NoError(t, err)
			defer conn.Close()
			f, err := connFile(conn)
			require.NoError(t, err)
			defer f.Close()
			s := newSocket(int(f.Fd()), c.family, unix.SOCK_STREAM)
			got, want := streamSockname(s), s.Getsockname()
			require.NotNil(t, want, "streamSockname = %#v, want %#v", got, want)
			require.True(t, reflect.DeepEqual(got, want), "streamSockname = %#v, want %#v", got, want)
			require.Equal(t, conn.LocalAddr().String(), got.String(), "streamSockname = %v, the connection's local address is %v", got, conn.LocalAddr())
		})
	}
}

// connFile returns a duplicate of a connection's descriptor.
func connFile(c net.Conn) (*os.File, error) {
	type filer interface{ File() (*os.File, error) }
	return c.(filer).File()
}

// A panic in ConnectionMade is reported, and the transport still starts
// reading and resolves the connect's waiter, as when asyncio's
// connection_made raises: the callbacks scheduled after it still run.
func TestConnectionMadePanicStillStartsReading(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	server := newRecorder(tl.Loop)
	server.onMade = func(*recorder) { panic("server made") }
	server.onData = func(r *recorder, _ []byte) {
		if r.data.Len() == 5 {
			r.tr.Close()
		}
	}
	_, port := tl.serve(func() (BaseProtocol, error) { return server, nil }, ListenOptions{})
	client := newRecorder(tl.Loop)
	client.onMade = func(*recorder) { panic("client made") }
	conn := tl.mustAwait(CreateConnection(tl.Loop, func() (BaseProtocol, error) { return client, nil }, "127.0.0.1", port, DialOptions{})).(*Connection)
	require.NoError(t, conn.Transport.(Transport).Write([]byte("hello")))
	tl.mustAwait(client.lost) // the server read "hello", then closed
	assert.Equal(t, "hello", server.data.String(), "server read")
	msgs := strings.Join(tl.reportMessages(), "\n")
	for _, want := range []string{"server made", "client made"} {
		found := false
		for _, r := range tl.reports {
			if strings.Contains(fmt.Sprint(r.Err), want) {
				found = true
			}
		}
		assert.True(t, found, "no report of the panic %q; reports:\n%s", want, msgs)
	}
}

// The local address is read on first need, and kept for after the close,
// as asyncio keeps the one it reads at the start.
func TestSocknameAfterClose(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	srv, port := tl.serve(echoFactory, ListenOptions{})
	_ = srv
	asked := newRecorder(tl.Loop)
	never := newRecorder(tl.Loop)
	for _, r := range []*recorder{asked, never} {
		tl.mustAwait(CreateConnection(tl.Loop, func() (BaseProtocol, error) { return r, nil }, "127.0.0.1", port, DialOptions{}))
	}
	before := asked.tr.GetExtraInfo("sockname")
	for _, r := range []*recorder{asked, never} {
		r.tr.Close()
		tl.mustAwait(r.lost)
	}
	require.NotNil(t, asked.tr.GetExtraInfo("sockname"), "sockname after close")
	assert.Same(t, before, asked.tr.GetExtraInfo("sockname"), "sockname after close")
	got, ok := never.tr.GetExtraInfo("sockname").(*net.TCPAddr)
	require.True(t, ok, "sockname first asked after close = %v", never.tr.GetExtraInfo("sockname"))
	assert.True(t, got.IP.Equal(net.IPv4(127, 0, 0, 1)), "sockname first asked after close = %v", never.tr.GetExtraInfo("sockname"))
	assert.NotEqual(t, 0, got.Port, "sockname first asked after close = %v", never.tr.GetExtraInfo("sockname"))
	assert.NotEqual(t, port, got.Port, "sockname first asked after close = %v", never.tr.GetExtraInfo("sockname"))
}
