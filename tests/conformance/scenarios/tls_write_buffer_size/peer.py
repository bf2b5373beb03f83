# A TLS 1.3 server (cert for localhost): reads a line, answers, then waits
# for the client's close_notify and answers it with its own.
import os, socket, ssl
pki = os.environ["CONFORMANCE_PKI"]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(os.path.join(pki, "server.pem"), os.path.join(pki, "server-key.pem"))
srv = socket.create_server(("127.0.0.1", 0))
print("ARG", srv.getsockname()[1])
print("READY")
raw, _ = srv.accept()
conn = ctx.wrap_socket(raw, server_side=True)
got = b""
while not got.endswith(b"\n"):
    got += conn.recv(100)
print("peer got", got, conn.version())
conn.sendall(b"hello client\n")
rest = conn.recv(100)
print("peer then got", rest)
conn.unwrap()
print("peer unwrapped")
raw.close()
