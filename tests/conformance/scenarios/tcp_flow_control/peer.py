# Accepts, waits for "READ", reads everything to EOF, prints the size.
import socket, sys
srv = socket.create_server(("127.0.0.1", 0))
srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
print("ARG", srv.getsockname()[1])
print("READY")
conn, _ = srv.accept()
assert sys.stdin.readline().strip() == "READ"
n = 0
while True:
    chunk = conn.recv(1 << 20)
    if not chunk:
        break
    n += len(chunk)
print("peer got", n)
conn.close()
