# Accepts one client, reads its greeting (so its connect has completed on
# both sides) and resets the connection (SO_LINGER 0).
import socket, struct
srv = socket.create_server(("127.0.0.1", 0))
print("ARG", srv.getsockname()[1])
print("READY")
conn, _ = srv.accept()
conn.recv(2)
conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
conn.close()
print("peer reset")
