# Serves one client: waits for "SEND", sends a line, then closes.
import socket, sys
srv = socket.create_server(("127.0.0.1", 0))
print("ARG", srv.getsockname()[1])
print("READY")
conn, _ = srv.accept()
assert sys.stdin.readline().strip() == "SEND"
conn.sendall(b"line\n")
conn.close()
