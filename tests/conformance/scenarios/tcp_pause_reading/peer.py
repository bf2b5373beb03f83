# Accepts; sends "first"; on "SECOND" sends "second" and closes.
import socket, sys
srv = socket.create_server(("127.0.0.1", 0))
print("ARG", srv.getsockname()[1])
print("READY")
conn, _ = srv.accept()
conn.sendall(b"first")
assert sys.stdin.readline().strip() == "SECOND"
conn.sendall(b"second")
conn.close()
