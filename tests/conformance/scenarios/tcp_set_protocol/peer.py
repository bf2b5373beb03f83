# Accepts; sends "one"; on "TWO" sends "two" and closes.
import socket, sys
srv = socket.create_server(("127.0.0.1", 0))
print("ARG", srv.getsockname()[1])
print("READY")
conn, _ = srv.accept()
conn.sendall(b"one")
assert sys.stdin.readline().strip() == "TWO"
conn.sendall(b"two")
conn.close()
