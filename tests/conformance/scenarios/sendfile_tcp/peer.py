# Writes a 100 000-byte file, announces its path and a port, accepts one
# client and prints the length and a digest of what it sent before EOF.
import hashlib, os, socket
path = os.path.join(os.environ["CONFORMANCE_TMP"], "payload.bin")
with open(path, "wb") as f:
    f.write(bytes(range(256)) * 390 + b"0123456789" * 16)
srv = socket.create_server(("127.0.0.1", 0))
print("ARG", srv.getsockname()[1])
print("ARG", path)
print("READY")
conn, _ = srv.accept()
got = b""
while True:
    chunk = conn.recv(65536)
    if not chunk:
        break
    got += chunk
print("peer got", len(got), hashlib.sha256(got).hexdigest()[:16], got[:12])
conn.close()
