package testkit

// PyMemoryBIOStartTLSClient is a python3 STARTTLS client (run it with
// `python3 -c`) that sends "STARTTLS\r\n" and its TLS ClientHello in ONE
// send(), before the server's answer: a server must hand the ClientHello,
// which arrives with the STARTTLS line, to TLS. After the server's "OK\r\n"
// line and the handshake it sends each LINE followed by "\r\n" over TLS,
// reads until as many lines came back, and prints the repr() of what came
// back and the TLS version, e.g. `b'one\r\ntwo\r\n' TLSv1.3`.
//
// Arguments: PORT (on 127.0.0.1), CAFILE (the PEM file to trust; the
// server's name is checked as "localhost"), then the LINEs.
const PyMemoryBIOStartTLSClient = `
import socket, ssl, sys
port, cafile, lines = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
ctx = ssl.create_default_context(cafile=cafile)
inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
obj = ctx.wrap_bio(inc, out, server_hostname="localhost")
try:
    obj.do_handshake()
except ssl.SSLWantReadError:
    pass
hello = out.read()
s = socket.create_connection(("127.0.0.1", port), timeout=20)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
msg = b"STARTTLS\r\n" + hello
assert s.send(msg) == len(msg)
buf = b""
while b"\r\n" not in buf:
    chunk = s.recv(4096)
    assert chunk, "closed before OK"
    buf += chunk
line, _, rest = buf.partition(b"\r\n")
assert line == b"OK", line
inc.write(rest)
def flush():
    data = out.read()
    if data:
        s.sendall(data)
while True:
    try:
        obj.do_handshake()
        break
    except ssl.SSLWantReadError:
        flush()
        chunk = s.recv(65536)
        assert chunk, "closed during the handshake"
        inc.write(chunk)
flush()
obj.write(b"".join(l.encode() + b"\r\n" for l in lines))
flush()
got = b""
while got.count(b"\r\n") < len(lines):
    try:
        got += obj.read(65536)
    except ssl.SSLWantReadError:
        chunk = s.recv(65536)
        assert chunk, "closed before the echo"
        inc.write(chunk)
print(repr(got), obj.version())
s.close()
`
