# Accepts, sends a line, then resets the connection (SO_LINGER 0).
import socket, struct
srv = socket.create_server(("127.0.0.1", 0))
print("ARG", srv.getsockname()[1])
print("READY")
conn, _ = srv.accept()
conn.sendall(b"bye\n")
conn.recv(10)
conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
conn.close()
