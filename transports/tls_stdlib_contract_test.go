package transports

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/starnet-dev/starnet/internal/testpki"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCryptoTLSDoesNotLatchTemporaryReadErrors pins the contract tls_pipe.go
// builds on: after the handshake, a Read of the underlying conn that fails
// with a temporary (timeout) net.Error, as the pipe's errWouldBlock does,
// is returned by tls.Conn.Read without poisoning the connection, even in
// the middle of a record; once the rest of the record arrives, Read returns
// its plaintext. If a Go release changed this, the TLS layer would break,
// and this test names why.
func TestCryptoTLSDoesNotLatchTemporaryReadErrors(t *testing.T) {
	t.Parallel()
	ca := testpki.NewCA(t, &x509.Certificate{})
	leaf := ca.Issue("server", testpki.AddNames(&x509.Certificate{}, "localhost"))
	a, b := newMemConnPair()
	server := tls.Server(a, &tls.Config{Certificates: []tls.Certificate{leaf.TLS}})
	client := tls.Client(b, &tls.Config{RootCAs: ca.Pool, ServerName: "localhost"})
	handshake := make(chan error, 1)
	go func() { handshake <- server.Handshake() }()
	require.NoError(t, client.Handshake())
	require.NoError(t, <-handshake)

	b.setNonblocking() // the client's reads now fail at once when nothing is buffered
	buf := make([]byte, 64)
	_, err := client.Read(buf)
	var ne net.Error
	require.ErrorAs(t, err, &ne, "an empty read")
	require.True(t, ne.Timeout())

	a.holdWrites() // the server's next record is handed over by the test, in halves
	_, err = server.Write([]byte("hello"))
	require.NoError(t, err)
	record := a.takeHeld()
	require.Greater(t, len(record), 2)
	b.feed(record[:len(record)/2])
	_, err = client.Read(buf)
	require.ErrorAs(t, err, &ne, "a read in the middle of a record")

	b.feed(record[len(record)/2:])
	n, err := client.Read(buf)
	require.NoError(t, err, "the connection survived the temporary errors")
	assert.Equal(t, "hello", string(buf[:n]))
}

// memConn is one end of an in-memory connection: blocking reads until the
// test makes it non-blocking (then an empty read fails with a timeout
// net.Error), and writes that go to the peer or, while held, to the test.
type memConn struct {
	mu       sync.Mutex
	cond     sync.Cond
	in       []byte
	nonblock bool
	hold     bool
	held     []byte
	peer     *memConn
}

func newMemConnPair() (*memConn, *memConn) {
	a, b := &memConn{}, &memConn{}
	a.cond.L, b.cond.L = &a.mu, &b.mu
	a.peer, b.peer = b, a
	return a, b
}

type memTimeout struct{}

func (memTimeout) Error() string   { return "would block" }
func (memTimeout) Timeout() bool   { return true }
func (memTimeout) Temporary() bool { return true }

func (c *memConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.in) == 0 {
		if c.nonblock {
			return 0, memTimeout{}
		}
		c.cond.Wait()
	}
	n := copy(p, c.in)
	c.in = c.in[n:]
	return n, nil
}

func (c *memConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if c.hold {
		c.held = append(c.held, p...)
		c.mu.Unlock()
		return len(p), nil
	}
	c.mu.Unlock()
	c.peer.feed(p)
	return len(p), nil
}

func (c *memConn) feed(p []byte) {
	c.mu.Lock()
	c.in = append(c.in, p...)
	c.cond.Broadcast()
	c.mu.Unlock()
}

func (c *memConn) setNonblocking() { c.mu.Lock(); c.nonblock = true; c.mu.Unlock() }
func (c *memConn) holdWrites()     { c.mu.Lock(); c.hold = true; c.mu.Unlock() }
func (c *memConn) takeHeld() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.held
	c.held = nil
	return h
}

func (c *memConn) Close() error                     { return nil }
func (c *memConn) LocalAddr() net.Addr              { return &net.UnixAddr{Name: "mem", Net: "unix"} }
func (c *memConn) RemoteAddr() net.Addr             { return &net.UnixAddr{Name: "mem", Net: "unix"} }
func (c *memConn) SetDeadline(time.Time) error      { return nil }
func (c *memConn) SetReadDeadline(time.Time) error  { return nil }
func (c *memConn) SetWriteDeadline(time.Time) error { return nil }
