# Serves one client: sends fixed bytes, then closes.
import socket, os
srv = socket.create_server(("127.0.0.1", 0))
print("ARG", srv.getsockname()[1])
print("READY")
conn, _ = srv.accept()
conn.sendall(b"0123456789\nrest")
conn.close()
print("peer sent")
