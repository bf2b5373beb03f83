package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scripts/http_get.star against python3 -m http.server, a python3
// http.server handler that sends chunked and broken responses, python3's
// http.server over ssl, and openssl s_server -www.

// httpGet runs http_get.star allowed 127.0.0.1 and localhost, with extra
// flags and arguments.
func httpGet(t *testing.T, flags []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	all := append([]string{"run", "--allow-net=127.0.0.1,localhost"}, flags...)
	all = append(all, "scripts/http_get.star")
	return runScript(t, append(all, args...)...)
}

// splitResponse splits http_get's stdout at the empty line after the
// headers into the head's lines and the body.
func splitResponse(t *testing.T, stdout string) (head []string, body string) {
	t.Helper()
	h, b, ok := strings.Cut(stdout, "\n\n")
	require.True(t, ok, "no empty line after the headers in:\n%s", stdout)
	return strings.Split(h, "\n"), b
}

// TestHTTPGetPythonHTTPServer: files and a directory listing from
// `python3 -m http.server`, an HTTP/1.0 server with Content-Length bodies;
// the body, 1 MiB of binary data, comes out byte for byte.
func TestHTTPGetPythonHTTPServer(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data := randomBytes(t, 1<<20)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "blob.bin"), data, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hello, http\n"), 0o644))
	srv := testkit.StartTool(t, "python3", "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", dir)
	port := strings.Fields(strings.TrimPrefix(srv.WaitLine("Serving HTTP on 127.0.0.1 port "), "Serving HTTP on 127.0.0.1 port "))[0]
	base := "http://127.0.0.1:" + port

	code, stdout, stderr := httpGet(t, nil, base+"/blob.bin")
	require.Equal(t, 0, code, "blob: exit status; stderr:\n%s", stderr)
	head, body := splitResponse(t, stdout)
	assert.Equal(t, "HTTP/1.0 200 OK", head[0], "blob: status line")
	assert.Contains(t, head, fmt.Sprintf("Content-Length: %d", len(data)), "blob: headers")
	assert.True(t, body == string(data), "blob: body of %d bytes differs from the file's %d", len(body), len(data))

	code, stdout, stderr = httpGet(t, nil, base+"/hello.txt")
	require.Equal(t, 0, code, "hello: exit status; stderr:\n%s", stderr)
	_, body = splitResponse(t, stdout)
	assert.Equal(t, "hello, http\n", body, "hello: body")

	// A query and no path: "/?q=1" is asked for.
	code, stdout, stderr = httpGet(t, nil, "http://localhost:"+port+"?q=1")
	require.Equal(t, 0, code, "listing: exit status; stderr:\n%s", stderr)
	_, body = splitResponse(t, stdout)
	assert.Contains(t, body, "<title>Directory listing for /?q=1</title>", "listing: body")
	assert.Contains(t, body, `<a href="hello.txt">hello.txt</a>`, "listing: body")

	// An error status is a whole response: exit status 0.
	code, stdout, stderr = httpGet(t, nil, base+"/missing")
	require.Equal(t, 0, code, "404: exit status; stderr:\n%s", stderr)
	assert.True(t, strings.HasPrefix(stdout, "HTTP/1.0 404 File not found\n"), "404: stdout:\n%s", stdout)
}

// pyHTTPFramingServer is python3's http.server answering HTTP/1.1 requests
// by path, with the framings a client must decode and the ways a server
// can break them. It prints "port N", and for each request the request
// line and its Host header. Every chunk is sent in pieces, flushed one by
// one, so that a chunk's size line, data and CRLF arrive apart.
//
//	/chunked    a 103 Early Hints, then a chunked body with extensions and
//	            a trailer
//	/eof        HTTP/1.0 with no Content-Length: the body lasts to the close
//	/short      Content-Length 100 and 10 bytes, then the close
//	/badchunk   a chunk size that is not hexadecimal
//	/nohead     closes before the end of the headers
//	/silent     sends nothing and keeps the connection open
const pyHTTPFramingServer = `
import http.server, socket, sys, time
CHUNKS = [b"first chunk\n", b"x" * 3000, b"\nlast chunk\n"]
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def send_pieces(self, *pieces):
        for p in pieces:
            self.wfile.write(p)
            self.wfile.flush()
    def do_GET(self):
        print("request", self.requestline, "host", self.headers["Host"], flush=True)
        path = self.path.split("?")[0]
        if path == "/chunked":
            self.send_pieces(b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n")
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Trailer", "X-Checksum")
            self.end_headers()
            self.wfile.flush()
            for i, c in enumerate(CHUNKS):
                size = b"%x" % len(c) + (b";ext=%d" % i if i % 2 else b"") + b"\r\n"
                self.send_pieces(size[:1], size[1:], c[:5], c[5:], b"\r", b"\n")
            self.send_pieces(b"0\r\nX-Checksum: abc\r\n\r\n")
        elif path == "/eof":
            self.protocol_version = "HTTP/1.0"
            self.send_response(200)
            self.end_headers()
            self.send_pieces(b"until ", b"the close\n")
            self.close_connection = True
        elif path == "/short":
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.send_pieces(b"0123456789")
            self.close_connection = True
        elif path == "/badchunk":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.send_pieces(b"zz\r\nhello\r\n")
            self.close_connection = True
        elif path == "/nohead":
            self.send_pieces(b"HTTP/1.1 200 OK\r\nContent-Le")
            self.close_connection = True
        elif path == "/silent":
            time.sleep(60)
    def log_message(self, *args):
        pass
class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
server = Server(("127.0.0.1", 0), Handler)
print("port", server.server_address[1], flush=True)
server.serve_forever()
`

// TestHTTPGetChunked: an interim response, then a chunked body whose
// pieces arrive apart, decoded; the request line and Host header python
// got are HTTP/1.1's.
func TestHTTPGetChunked(t *testing.T) {
	t.Parallel()
	srv := testkit.StartPython(t, pyHTTPFramingServer)
	port := strings.TrimPrefix(srv.WaitLine("port "), "port ")

	code, stdout, stderr := httpGet(t, nil, "http://127.0.0.1:"+port+"/chunked?x=1")
	require.Equal(t, 0, code, "exit status; stderr:\n%s", stderr)
	assert.Equal(t, "request GET /chunked?x=1 HTTP/1.1 host 127.0.0.1:"+port, srv.WaitLine("request "), "what python got")
	interim, rest, ok := strings.Cut(stdout, "\n\n")
	require.True(t, ok, "no interim response in:\n%s", stdout)
	assert.Equal(t, "HTTP/1.1 103 Early Hints\nLink: </style.css>; rel=preload", interim, "the interim response")
	head, body := splitResponse(t, rest)
	assert.True(t, strings.HasPrefix(head[0], "HTTP/1.1 200 OK"), "status line %q", head[0])
	assert.Contains(t, head, "Transfer-Encoding: chunked", "headers")
	assert.Equal(t, "first chunk\n"+strings.Repeat("x", 3000)+"\nlast chunk\n", body, "the decoded body")
	assert.NotContains(t, stdout, "X-Checksum: abc", "the trailer was printed")
}

// TestHTTPGetFramingErrors: a body that lasts to the close is whole; a
// short body, a bad chunk, headers cut short and a silent server are
// errors, logged on stderr with exit status 1.
func TestHTTPGetFramingErrors(t *testing.T) {
	t.Parallel()
	srv := testkit.StartPython(t, pyHTTPFramingServer)
	base := "http://127.0.0.1:" + strings.TrimPrefix(srv.WaitLine("port "), "port ")

	code, stdout, stderr := httpGet(t, nil, base+"/eof")
	require.Equal(t, 0, code, "eof: exit status; stderr:\n%s", stderr)
	_, body := splitResponse(t, stdout)
	assert.Equal(t, "until the close\n", body, "eof: body")

	cases := []struct{ path, flag, want string }{
		{"/short", "", "http_get: the server closed the connection with 90 bytes of the body unread\n"},
		{"/badchunk", "", "http_get: bad chunk size line: b\"zz\\r\\n\"\n"},
		{"/nohead", "", "http_get: the server closed the connection in the middle of the response (27 bytes of a part read)\n"},
		{"/silent", "0.5", "http_get: no whole response within the timeout\n"},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			t.Parallel()
			args := []string{base + c.path}
			if c.flag != "" {
				args = append([]string{"--timeout", c.flag}, args...)
			}
			code, _, stderr := httpGet(t, nil, args...)
			assert.Equal(t, 1, code, "exit status")
			assert.Equal(t, c.want, stderr, "stderr")
		})
	}
}

// TestHTTPGetBadArguments: exit status 2 and the usage on stderr.
func TestHTTPGetBadArguments(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{},
		{"ftp://127.0.0.1/"},
		{"http://:80/"},
		{"--bogus", "http://127.0.0.1/"},
		{"--timeout", "soon", "http://127.0.0.1/"},
		{"--cafile", "ca.pem", "http://127.0.0.1/"},
	} {
		code, stdout, stderr := httpGet(t, nil, args...)
		assert.Equal(t, 2, code, "%q: exit status", args)
		assert.Empty(t, stdout, "%q: stdout", args)
		assert.Contains(t, stderr, "usage: http_get.star", "%q: stderr", args)
	}
}

// pyHTTPSServer is python3's http.server wrapped with ssl, on 127.0.0.1:
// it prints "port N", then answers every GET with a small page and an
// X-Path header.
const pyHTTPSServer = `
import http.server, ssl, sys
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"hello over https\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("X-Path", self.path)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
server.socket = ctx.wrap_socket(server.socket, server_side=True)
print("port", server.server_address[1], flush=True)
server.serve_forever()
`

// startHTTPSServer runs pyHTTPSServer with a certificate for names and
// returns the CA file and the port.
func startHTTPSServer(t *testing.T, names ...string) (pki *testPKI, port string) {
	t.Helper()
	pki = newTestPKI(t, "https CA")
	cert, key := pki.issue("server", names...)
	py := testkit.StartPython(t, pyHTTPSServer, cert, key)
	return pki, strings.TrimPrefix(py.WaitLine("port "), "port ")
}

// TestHTTPGetHTTPS: http_get.star verifies python3's HTTPS server by
// address and by name, and prints the response.
func TestHTTPGetHTTPS(t *testing.T) {
	t.Parallel()
	pki, port := startHTTPSServer(t, "localhost", "127.0.0.1")
	read := []string{"--allow-read=" + pki.File}
	code, stdout, stderr := httpGet(t, read, "--cafile", pki.File, "https://127.0.0.1:"+port+"/some/path?q=1")
	require.Equal(t, 0, code, "exit status\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
	head, body := splitResponse(t, stdout)
	assert.Equal(t, "HTTP/1.0 200 OK", head[0], "status line")
	for _, want := range []string{"Content-Type: text/plain", "X-Path: /some/path?q=1", "Content-Length: 17"} {
		assert.Contains(t, head, want, "headers")
	}
	assert.Equal(t, "hello over https\n", body, "body")
	// By name: localhost is in the certificate too.
	code, stdout, stderr = httpGet(t, read, "--cafile", pki.File, "https://localhost:"+port+"/")
	assert.Equal(t, 0, code, "https://localhost: exit status; stderr:\n%s", stderr)
	assert.True(t, strings.HasPrefix(stdout, "HTTP/1.0 200 OK\n"), "https://localhost: stdout:\n%s", stdout)
}

// TestHTTPGetVerificationFailures: an unknown CA, a certificate for
// another name, and the permission checks.
func TestHTTPGetVerificationFailures(t *testing.T) {
	t.Parallel()
	pki, port := startHTTPSServer(t, "other.example")
	url := "https://127.0.0.1:" + port + "/"
	read := "--allow-read=" + pki.File
	cases := []struct {
		name         string
		args         []string
		code         int
		stdout, want string
	}{
		{"system roots only", []string{"--allow-net=127.0.0.1", "scripts/http_get.star", url}, 1, "",
			"http_get: SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate\n"},
		{"wrong name", []string{"--allow-net=127.0.0.1", read, "scripts/http_get.star", "--cafile", pki.File, url}, 1, "",
			"http_get: SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: IP address mismatch, certificate is not valid for '127.0.0.1'.\n"},
		{"wrong server_hostname", []string{"--allow-net=127.0.0.1", read, "scripts/http_get.star", "--cafile", pki.File, "--server-hostname", "www.example", url}, 1, "",
			"http_get: SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, certificate is not valid for 'www.example'.\n"},
		{"right server_hostname", []string{"--allow-net=127.0.0.1", read, "scripts/http_get.star", "--cafile", pki.File, "--server-hostname", "other.example", url}, 0,
			"HTTP/1.0 200 OK\n", ""},
		{"server_hostname empty: chain only", []string{"--allow-net=127.0.0.1", read, "scripts/http_get.star", "--cafile", pki.File, "--server-hostname", "", url}, 0,
			"HTTP/1.0 200 OK\n", ""},
		{"no --allow-net", []string{read, "scripts/http_get.star", "--cafile", pki.File, url}, 1, "",
			fmt.Sprintf("http_get: PermissionError: net access to \"127.0.0.1:%s\" denied; run with --allow-net=127.0.0.1:%s\n", port, port)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runScript(t, append([]string{"run"}, c.args...)...)
			assert.Equal(t, c.code, code, "exit status; stderr:\n%s", stderr)
			assert.True(t, strings.HasPrefix(stdout, c.stdout), "stdout:\n%s\nwant it to start with:\n%s", stdout, c.stdout)
			assert.Equal(t, c.want, stderr, "stderr")
		})
	}
	// --cafile without --allow-read: the script fails before connecting.
	code, _, stderr := runScript(t, "run", "--allow-net=127.0.0.1", "scripts/http_get.star", "--cafile", pki.File, url)
	assert.Equal(t, 1, code, "--cafile without --allow-read: exit status")
	assert.Contains(t, stderr, fmt.Sprintf("PermissionError: read access to %q denied; run with --allow-read=%s", pki.File, pki.File))
}

// TestHTTPGetOpenSSLWWW: openssl s_server -www answers with an HTTP/1.0
// page that lasts until it closes the TLS connection.
func TestHTTPGetOpenSSLWWW(t *testing.T) {
	t.Parallel()
	pki := newTestPKI(t, "s_server CA")
	cert, key := pki.issue("server", "localhost")
	srv := testkit.StartTool(t, "openssl", "s_server", "-accept", "127.0.0.1:0", "-naccept", "1", "-www", "-cert", cert, "-key", key)
	port := strings.TrimPrefix(srv.WaitLine("ACCEPT 127.0.0.1:"), "ACCEPT 127.0.0.1:")

	code, stdout, stderr := httpGet(t, []string{"--allow-read=" + pki.File}, "--cafile", pki.File, "https://localhost:"+port+"/")
	require.Equal(t, 0, code, "exit status; stderr:\n%s", stderr)
	head, body := splitResponse(t, stdout)
	assert.Equal(t, "HTTP/1.0 200 ok", head[0], "status line")
	assert.Contains(t, body, "Ciphers supported in s_server binary", "body")
	assert.True(t, strings.HasSuffix(body, "</BODY></HTML>\r\n\r\n"), "the body's end: %q", body[max(0, len(body)-40):])
	assert.Equal(t, 0, srv.WaitExit(waitTimeout), "openssl s_server's exit status after its one connection")
}
