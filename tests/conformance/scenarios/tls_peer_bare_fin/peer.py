# A TLS server: answers a line, then closes the TCP socket without close_notify.
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
conn.sendall(b"answer\n")
conn.shutdown(socket.SHUT_RDWR)  # SSLSocket.shutdown sends no close_notify
conn.close()
print("peer closed without close_notify")
