# A TLS server whose certificate the client does not trust.
import os, socket, ssl
pki = os.environ["CONFORMANCE_PKI"]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(os.path.join(pki, "server.pem"), os.path.join(pki, "server-key.pem"))
srv = socket.create_server(("127.0.0.1", 0))
print("ARG", srv.getsockname()[1])
print("READY")
raw, _ = srv.accept()
try:
    ctx.wrap_socket(raw, server_side=True)
    print("peer handshake done")
except (ssl.SSLError, OSError) as e:
    print("peer handshake failed")
raw.close()
