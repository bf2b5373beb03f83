# Waits for the scenario's "PORT n", connects, sends two lines, half-closes,
# reads to EOF and prints what came back.
import socket, sys
print("READY")
port = int(sys.stdin.readline().split()[1])
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"one\n")
s.sendall(b"two\n")
s.shutdown(socket.SHUT_WR)
got = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    got += chunk
print("peer got", got)
s.close()
