package starlarkbind

import (
	"crypto/tls"
	"crypto/x509/pkix"
	"testing"

	"github.com/starnet-dev/starnet/internal/testpki"
	"github.com/starnet-dev/starnet/transports"
	"github.com/stretchr/testify/require"
)

// BenchmarkStarlarkTLSEcho is one 64-byte round trip through a Starlark
// echo protocol served over TLS 1.3 by a script's ssl context (the client
// is a Go TLS protocol on the same loop): the Starlark and TLS costs
// together.
func BenchmarkStarlarkTLSEcho(b *testing.B) {
	te := newTestEnv(b, Options{Permissions: allowLocal, MaxSteps: 100_000_000})
	ca := newTestCA(b, "bench CA")
	srv := ca.issue("srv", pkix.Name{CommonName: "localhost"}, "localhost")
	predeclareFiles(te, ca, map[string]*testpki.Leaf{"SRV": srv})
	g := te.exec(`
sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
sctx.load_cert_chain(SRV_CERT, SRV_KEY)
def connection_made(self, transport):
    self.transport = transport
def data_received(self, data):
    self.transport.write(data)
Echo = protocol("Echo", connection_made = connection_made, data_received = data_received)
srv = loop.run_until_complete(loop.create_server(Echo, "127.0.0.1", 0, ssl = sctx))
`)
	client := &pingClient{msg: make([]byte, 64), left: b.N, done: te.l.NewFuture()}
	opts := transports.DialOptions{TLS: &tls.Config{RootCAs: ca.Pool, ServerName: "localhost"}}
	conn := transports.CreateConnection(te.l, func() (transports.BaseProtocol, error) { return client, nil }, "127.0.0.1", te.serverPort(g, "srv"), opts)
	_, err := te.l.RunUntilComplete(conn)
	require.NoError(b, err)
	b.ReportAllocs()
	b.ResetTimer()
	_ = client.t.Write(client.msg)
	_, err = te.l.RunUntilComplete(client.done)
	require.NoError(b, err)
	b.StopTimer()
	client.t.Close()
	te.e.Shutdown(false)
	te.run()
}
