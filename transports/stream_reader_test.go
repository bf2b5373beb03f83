package transports

import (
	"errors"
	"strconv"
	"testing"

	"github.com/starnet-dev/starnet/loop"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStreamReaderEverySplit: input fed in two pieces, split at every
// offset (the second piece only once a read waits), then EOF: every read
// gets the same result.
func TestStreamReaderEverySplit(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	input := []byte("abc\r\ndefgh\nij")
	for i := 0; i <= len(input); i++ {
		r := NewStreamReader(tl.Loop, 100)
		reads := []func() *loop.Future{
			func() *loop.Future { return r.ReadUntil([]byte("\r\n")) },
			func() *loop.Future { return r.ReadExactly(3) },
			r.Readline,
			func() *loop.Future { return r.ReadExactly(5) },
		}
		r.FeedData(input[:i])
		fed := false
		var got []string
		var last error
		for _, read := range reads {
			f := read()
			if !f.Done() && !fed {
				r.FeedData(input[i:])
				fed = true
			}
			if !f.Done() {
				r.FeedEOF()
			}
			require.True(t, f.Done(), "split %d", i)
			v, err := f.Result()
			if err != nil {
				last = err
				continue
			}
			got = append(got, string(v.([]byte)))
		}
		assert.Equal(t, []string{"abc\r\n", "def", "gh\n"}, got, "split %d", i)
		var ire *IncompleteReadError
		require.True(t, errors.As(last, &ire), "split %d: %v", i, last)
		assert.Equal(t, "ij", string(ire.Partial), "split %d", i)
		assert.Equal(t, "IncompleteReadError: 2 bytes read on a total of 5 expected bytes", ire.Error())
		assert.True(t, r.AtEOF(), "split %d", i)
	}
}

// TestStreamReaderLimit: readuntil past the limit fails with
// LimitOverrunError and consumes nothing; readline drops the long line.
func TestStreamReaderLimit(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	r := NewStreamReader(tl.Loop, 4)
	r.FeedData([]byte("0123456\nok\n"))
	var loe *LimitOverrunError
	require.True(t, errors.As(r.ReadUntil([]byte("\n")).Exception(), &loe))
	assert.Equal(t, 7, loe.Consumed)
	assert.Equal(t, "Separator is found, but chunk is longer than limit", loe.Message)
	err := r.Readline().Exception()
	require.Error(t, err)
	assert.Equal(t, "ValueError: Separator is found, but chunk is longer than limit", err.Error())
	v, err := r.Readline().Result()
	require.NoError(t, err)
	assert.Equal(t, "ok\n", string(v.([]byte)))
}

// TestStreamReaderOverSocket: a Python peer sends one byte per segment;
// the reads over a real connection get whole lines and exact counts, and
// the last readuntil gets the partial bytes at EOF.
func TestStreamReaderOverSocket(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	conn := tl.NewFuture()
	_, port := tl.serve(func() (BaseProtocol, error) {
		p := NewStreamReaderProtocol(tl.Loop, 8)
		p.OnConnect = func(*StreamReader, *StreamWriter) { _ = conn.SetResult(p) }
		return p, nil
	}, ListenOptions{})
	peer := startPython(tl, `
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
for b in b"line one\nXYZtail":
    s.sendall(bytes([b]))
s.shutdown(socket.SHUT_WR)
assert s.recv(10) == b"bye"
`, strconv.Itoa(port))
	p := tl.mustAwait(conn).(*StreamReaderProtocol)
	r := p.Reader
	_, err := tl.await(r.Readline())
	require.Error(t, err, "a line longer than the limit (8)")
	v := tl.mustAwait(r.ReadExactly(3))
	assert.Equal(t, "XYZ", string(v.([]byte)))
	_, err = tl.await(r.ReadUntil([]byte("\n")))
	var ire *IncompleteReadError
	require.True(t, errors.As(err, &ire), "%v", err)
	assert.Equal(t, "tail", string(ire.Partial))
	require.NoError(t, p.Writer.Write([]byte("bye")))
	tl.mustAwait(p.Writer.Drain())
	p.Writer.Close()
	tl.mustAwait(p.Writer.WaitClosed())
	tl.mustAwait(peer.Output(tl))
}
