# Connects to "PORT n", sends a line, half-closes, prints the answer.
import socket, sys
print("READY")
port = int(sys.stdin.readline().split()[1])
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"still open\n")
s.shutdown(socket.SHUT_WR)
got = b""
while True:
    chunk = s.recv(100)
    if not chunk:
        break
    got += chunk
print("peer got", got)
s.close()
