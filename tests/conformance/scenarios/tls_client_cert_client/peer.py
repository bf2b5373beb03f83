# A TLS server that requires a client certificate signed by ca.pem; prints
# the client's subject, echoes one line.
import os, socket, ssl
pki = os.environ["CONFORMANCE_PKI"]
srv = socket.create_server(("127.0.0.1", 0))
print("ARG", srv.getsockname()[1])
print("READY")
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(os.path.join(pki, "server.pem"), os.path.join(pki, "server-key.pem"))
ctx.load_verify_locations(os.path.join(pki, "ca.pem"))
ctx.verify_mode = ssl.CERT_REQUIRED
conn, _ = srv.accept()
s = ctx.wrap_socket(conn, server_side=True)
print("peer sees", s.getpeercert()["subject"])
line = b""
while not line.endswith(b"\n"):
    line += s.recv(100)
s.sendall(b"echo " + line)
try:
    s.recv(100)
    s.unwrap()
except (ssl.SSLError, OSError) as e:
    print("peer error", type(e).__name__)
s.close()
