# Connects twice to the scenario's "PORT n"; the first connection sees EOF
# (its handler failed), the second an echo.
import socket, sys
print("READY")
port = int(sys.stdin.readline().split()[1])
a = socket.create_connection(("127.0.0.1", port))
print("first got", a.recv(100))
a.close()
b = socket.create_connection(("127.0.0.1", port))
b.sendall(b"ping\n")
print("second got", b.recv(100))
b.close()
