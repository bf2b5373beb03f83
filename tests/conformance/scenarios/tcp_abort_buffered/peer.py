# Accepts, waits for "READ", reads to EOF or reset, prints whether all came.
import socket, sys
srv = socket.create_server(("127.0.0.1", 0))
print("ARG", srv.getsockname()[1])
print("READY")
conn, _ = srv.accept()
assert sys.stdin.readline().strip() == "READ"
n = 0
try:
    while True:
        chunk = conn.recv(1 << 20)
        if not chunk:
            break
        n += len(chunk)
except ConnectionResetError:
    pass
print("peer got all", n == 8 << 20)
conn.close()
