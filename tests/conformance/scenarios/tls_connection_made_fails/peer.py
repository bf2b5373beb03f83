# A TLS server: completes the handshake, then reads until EOF and prints it.
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
try:
    while True:
        chunk = conn.recv(100)
        if not chunk:
            break
        got += chunk
    print("peer got", got, "then EOF")
except (ssl.SSLError, OSError) as e:
    print("peer got", got, "then", type(e).__name__)
raw.close()
