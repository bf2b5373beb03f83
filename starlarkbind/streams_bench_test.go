package starlarkbind

import (
	"bytes"
	"testing"

	"github.com/starnet-dev/starnet/transports"
	"github.com/stretchr/testify/require"
)

// starlarkStreamEcho is scripts/stream_echo_server.star's handler: a task
// per connection, reading lines with wait(reader.readline()).
const starlarkStreamEcho = `
def echo_lines(reader, writer):
    while True:
        line = wait(reader.readline())
        if line == b"":
            return
        writer.write(line)
        wait(writer.drain())

def handle(reader, writer):
    catch(echo_lines, reader, writer)
    writer.close()

srv = loop.run_until_complete(loop.start_server(handle, "127.0.0.1", 0))
`

// BenchmarkStarlarkStreamEcho is one 64-byte line's round trip through a
// start_server handler task (readline, write, drain: one wait/resume of
// the task per line); the client is a Go protocol on the same loop.
func BenchmarkStarlarkStreamEcho(b *testing.B) {
	te := newTaskEnv(b, Options{Permissions: allowLocal, MaxSteps: 100_000_000})
	g := te.exec(starlarkStreamEcho)
	msg := append(bytes.Repeat([]byte("a"), 63), '\n')
	client := &pingClient{msg: msg, left: b.N, done: te.l.NewFuture()}
	conn := transports.CreateConnection(te.l, func() (transports.BaseProtocol, error) { return client, nil }, "127.0.0.1", te.serverPort(g, "srv"), transports.DialOptions{})
	_, err := te.l.RunUntilComplete(conn)
	require.NoError(b, err)
	b.ReportAllocs()
	b.ResetTimer()
	user := userCPU()
	_ = client.t.Write(client.msg)
	_, err = te.l.RunUntilComplete(client.done)
	require.NoError(b, err)
	b.StopTimer()
	b.ReportMetric(float64(userCPU()-user)/float64(b.N), "user-ns/op")
	client.t.Close()
	te.e.Shutdown(false)
	te.run()
}
