package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/starnet-dev/starnet/transports"
	"github.com/stretchr/testify/require"
)

// testTimeout bounds every wait in these tests; it is a failure guard that
// only fires on a real hang, not a timing assertion.
const testTimeout = 30 * time.Second

// newTestRuntime creates a runtime whose output goes to the returned
// buffers; it is closed when the test ends.
func newTestRuntime(t *testing.T, cfg Config) (*Runtime, *testkit.Output, *testkit.Output) {
	t.Helper()
	stdout, stderr := testkit.NewOutput(), testkit.NewOutput()
	cfg.Stdout, cfg.Stderr = stdout, stderr
	rt, err := New(cfg)
	require.NoError(t, err, "New")
	t.Cleanup(func() {
		if err := rt.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if t.Failed() {
			t.Logf("stdout:\n%s\nstderr:\n%s", stdout, stderr)
		}
	})
	return rt, stdout, stderr
}

// mustExec executes src as module name or fails the test.
func mustExec(t *testing.T, rt *Runtime, name, src string) *Module {
	t.Helper()
	mod, err := rt.Exec(name, []byte(src))
	if err != nil {
		t.Fatalf("Exec %s: %s", name, FormatError(err))
	}
	return mod
}

// startRun runs rt in the background; the returned function cancels the
// context and returns Run's result.
func startRun(t *testing.T, rt *Runtime) (stop func() error, done <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ch := make(chan error, 1)
	go func() { ch <- rt.Run(ctx) }()
	return func() error {
		cancel()
		return waitRun(t, ch)
	}, ch
}

// waitRun waits for a Run result.
func waitRun(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(testTimeout):
		t.Fatalf("Run did not return within %v", testTimeout)
		return nil
	}
}

// roundTrip connects to addr, sends msg, half-closes, and returns all it
// reads until the server closes; it fails the test on any error. Only the
// test's goroutine may call it (other goroutines call exchange).
func roundTrip(t *testing.T, network, addr, msg string) string {
	t.Helper()
	got, err := exchange(network, addr, msg)
	require.NoError(t, err)
	return got
}

// exchange connects to addr, sends msg, half-closes, and returns all it
// reads until the server closes.
func exchange(network, addr, msg string) (string, error) {
	conn, err := net.DialTimeout(network, addr, testTimeout)
	if err != nil {
		return "", fmt.Errorf("dial %s %s: %w", network, addr, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(testTimeout))
	if _, err := conn.Write([]byte(msg)); err != nil {
		return "", fmt.Errorf("write to %s: %w", addr, err)
	}
	if err := closeWrite(conn); err != nil {
		return "", fmt.Errorf("half-close %s: %w", addr, err)
	}
	got, err := io.ReadAll(conn)
	if err != nil {
		return string(got), fmt.Errorf("read from %s: %w", addr, err)
	}
	return string(got), nil
}

// closeWrite half-closes conn.
func closeWrite(conn net.Conn) error {
	type halfCloser interface{ CloseWrite() error }
	if hc, ok := conn.(halfCloser); ok {
		return hc.CloseWrite()
	}
	return errors.New("connection cannot half-close")
}

// readPrefix reads exactly n bytes from conn (within testTimeout) and
// returns them.
func readPrefix(t *testing.T, conn net.Conn, n int) string {
	t.Helper()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(testTimeout)))
	buf := make([]byte, n)
	_, err := io.ReadFull(conn, buf)
	require.NoError(t, err, "read %d bytes", n)
	require.NoError(t, conn.SetReadDeadline(time.Time{}))
	return string(buf)
}

// goEcho is a Go stream protocol that writes a prefix, then writes back what
// it receives, and closes on EOF.
type goEcho struct {
	prefix string
	t      transports.Transport
	lost   chan error
	onMade func(transports.Transport)
}

// newGoEchoFactory returns a factory of goEcho protocols that write prefix
// first and send their ConnectionLost error to lost (unless it is nil).
func newGoEchoFactory(prefix string, lost chan error) transports.ProtocolFactory {
	return func() (transports.BaseProtocol, error) { return &goEcho{prefix: prefix, lost: lost}, nil }
}

func (p *goEcho) ConnectionMade(t transports.BaseTransport) {
	p.t = t.(transports.Transport)
	_ = p.t.Write([]byte(p.prefix))
	if p.onMade != nil {
		p.onMade(p.t)
	}
}

func (p *goEcho) ConnectionLost(err error) {
	if p.lost != nil {
		p.lost <- err
	}
}

func (p *goEcho) PauseWriting()  {}
func (p *goEcho) ResumeWriting() {}

func (p *goEcho) DataReceived(data []byte) {
	_ = p.t.Write(data)
}

func (p *goEcho) EOFReceived() bool { return false }
