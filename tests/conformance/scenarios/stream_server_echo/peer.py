# Connects to the scenario's "PORT n", sends lines, half-closes, prints
# everything that came back.
import socket, sys
print("READY")
port = int(sys.stdin.readline().split()[1])
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"one\ntwo\n")
s.sendall(b"three")
s.shutdown(socket.SHUT_WR)
got = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    got += chunk
print("peer got", got)
s.close()
