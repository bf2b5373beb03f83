# Accepts a TCP connection and never answers the TLS handshake; waits for
# the client to go.
import socket
srv = socket.create_server(("127.0.0.1", 0))
print("ARG", srv.getsockname()[1])
print("READY")
conn, _ = srv.accept()
while conn.recv(65536):
    pass
print("peer saw the client go")
