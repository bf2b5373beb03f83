# Connects two clients to PORT, says "CONNECTED" when both are in, then
# prints how each connection ended.
import socket, sys
print("READY")
port = int(sys.stdin.readline().split()[1])
a = socket.create_connection(("127.0.0.1", port))
b = socket.create_connection(("127.0.0.1", port))
a.sendall(b"a")
b.sendall(b"b")
for s in (a, b):
    try:
        print("peer got", s.recv(100))
    except ConnectionResetError:
        print("peer got reset")
