# A plain server that upgrades on "STARTTLS": answers OK, wraps the socket
# as the TLS server, echoes one line, answers the client's close_notify.
import os, socket, ssl
pki = os.environ["CONFORMANCE_PKI"]
srv = socket.create_server(("127.0.0.1", 0))
print("ARG", srv.getsockname()[1])
print("READY")
conn, _ = srv.accept()
got = b""
while not got.endswith(b"\n"):
    got += conn.recv(100)
print("peer got", got)
conn.sendall(b"OK\n")
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(os.path.join(pki, "server.pem"), os.path.join(pki, "server-key.pem"))
s = ctx.wrap_socket(conn, server_side=True)
line = b""
while not line.endswith(b"\n"):
    line += s.recv(100)
print("peer got over tls", line, s.version())
s.sendall(b"echo " + line)
try:
    print("peer reads", s.recv(100))
    s.unwrap()
    print("peer unwrapped")
except (ssl.SSLError, OSError) as e:
    print("peer error", type(e).__name__)
s.close()
