# A TLS client without a certificate, to a server that requires one: the
# handshake (TLS 1.3) completes on this side, then the server's alert comes.
import os, socket, ssl, sys
pki = os.environ["CONFORMANCE_PKI"]
print("READY")
port = int(sys.stdin.readline().split()[1])
ctx = ssl.create_default_context(cafile=os.path.join(pki, "ca.pem"))
try:
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
    s.sendall(b"hello\n")
    print("peer reads", s.recv(100))
except (ssl.SSLError, OSError) as e:
    print("peer error", type(e).__name__)

