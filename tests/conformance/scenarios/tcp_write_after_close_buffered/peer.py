# Accepts, waits for "READ", then reads to EOF and prints the size and the tail.
import socket, sys
srv = socket.create_server(("127.0.0.1", 0))
print("ARG", srv.getsockname()[1])
print("READY")
conn, _ = srv.accept()
assert sys.stdin.readline().strip() == "READ"
got = b""
while True:
    chunk = conn.recv(1 << 20)
    if not chunk:
        break
    got += chunk
print("peer got", len(got), got[-10:])
conn.close()
