# Connects over IPv6 to [::1]:PORT, sends, half-closes, prints the answer.
import socket, sys
print("READY")
port = int(sys.stdin.readline().split()[1])
s = socket.create_connection(("::1", port))
s.sendall(b"over v6")
s.shutdown(socket.SHUT_WR)
got = b""
while True:
    chunk = s.recv(100)
    if not chunk:
        break
    got += chunk
print("peer got", got)
s.close()
