# Connects to PORT, sends a line, reads to EOF and prints what came back.
import socket, sys
print("READY")
port = int(sys.stdin.readline().split()[1])
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"hello\n")
got = b""
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
except ConnectionResetError:
    got += b"<reset>"
print("peer got", got)
s.close()
