# A TLS client with a client certificate (client.pem): one line, the
# answer, close_notify.
import os, socket, ssl, sys
pki = os.environ["CONFORMANCE_PKI"]
print("READY")
port = int(sys.stdin.readline().split()[1])
ctx = ssl.create_default_context(cafile=os.path.join(pki, "ca.pem"))
if "NOCERT" not in os.environ.get("PEER_MODE", ""):
    ctx.load_cert_chain(os.path.join(pki, "client.pem"), os.path.join(pki, "client-key.pem"))
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
s.sendall(b"hello\n")
got = b""
while not got.endswith(b"\n"):
    got += s.recv(100)
print("peer got", got)
s.unwrap()
s.close()
