# Connects to "PORT n"; on "SEND" sends a line and half-closes; prints the
# answer.
import socket, sys
print("READY")
port = int(sys.stdin.readline().split()[1])
s = socket.create_connection(("127.0.0.1", port))
assert sys.stdin.readline().strip() == "SEND"
s.sendall(b"late\n")
s.shutdown(socket.SHUT_WR)
got = b""
while True:
    chunk = s.recv(100)
    if not chunk:
        break
    got += chunk
print("peer got", got)
s.close()
