package transports

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// pyGarbageClients tries handshakes that go wrong, each on its own
// connection, then a real one.
const pyGarbageClients = `
import socket, ssl, sys
port, cafile = int(sys.argv[1]), sys.argv[2]
def probe(name, payload):
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(20)
    if payload:
        s.sendall(payload)
    s.shutdown(socket.SHUT_WR)
    try:
        while s.recv(65536):
            pass
    except ConnectionResetError:
        pass
    s.close()
    print(name, "closed", flush=True)
inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
obj = ssl.create_default_context(cafile=cafile).wrap_bio(inc, out, server_hostname="localhost")
try:
    obj.do_handshake()
except ssl.SSLWantReadError:
    pass
hello = out.read()
probe("http", b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
probe("truncated", hello[:len(hello) // 2])
probe("empty", b"")
probe("oversized", b"\x16\x03\x01\xff\xff" + bytes(1000))
probe("corrupt", hello[:20] + bytes(len(hello) - 20))
ctx = ssl.create_default_context(cafile=cafile)
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
s.sendall(b"still serving")
print(s.recv(100).decode(), flush=True)
s.close()
`

// Garbage, truncated and empty handshakes cost only their own connection:
// each is closed, no protocol is connected, nothing is reported outside
// debug mode (in debug mode each is reported as "SSL handshake failed"),
// and a real client is served afterwards.
func TestTLSGarbageAndTruncatedHandshakes(t *testing.T) {
	t.Parallel()
	for _, debug := range []bool{false, true} {
		t.Run(fmt.Sprintf("debug=%v", debug), func(t *testing.T) {
			t.Parallel()
			tl := newTestLoop(t)
			tl.SetDebug(debug)
			pki := newTestPKI(t)
			var protos []*recorder
			_, port := tl.tlsServe(func() (BaseProtocol, error) {
				r := echoRecorder(tl)
				protos = append(protos, r)
				return r, nil
			}, ListenOptions{TLS: pki.serverConfig()})
			peer := startPython(tl, pyGarbageClients, strconv.Itoa(port), pki.File)
			out := tl.mustAwait(peer.Output(tl)).(string)
			want := "http closed\ntruncated closed\nempty closed\noversized closed\ncorrupt closed\nstill serving\n"
			assert.Equal(t, want, out, "peer printed %q", out)
			made := 0
			for _, p := range protos {
				made += p.madeN
			}
			assert.Len(t, protos, 6, "%d protocols, %d connected", len(protos), made)
			assert.Equal(t, 1, made, "%d protocols, %d connected", len(protos), made)
			var kinds []string
			for _, r := range tl.reports {
				if r.Message == "SSL handshake failed" {
					kinds = append(kinds, MapError(r.Err).Kind)
				} else {
					// Not even debug mode's slow-callback report: the
					// test loop's threshold is the watchdog's.
					assert.Fail(t, "unexpected report", "%s: %v", r.Message, r.Err)
				}
			}
			wantKinds := ""
			if debug {
				wantKinds = "SSLError ConnectionResetError ConnectionResetError SSLError SSLError"
			}
			assert.Equal(t, wantKinds, strings.Join(kinds, " "), "reported kinds %q, want %q", kinds, wantKinds)
		})
	}
}
