# Connects to PORT, sends bytes, reads to EOF or reset.
import socket, sys
print("READY")
port = int(sys.stdin.readline().split()[1])
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"data that is never read")
got = b""
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
    print("peer got", got, "then EOF")
except ConnectionResetError:
    print("peer got", got, "then reset")
s.close()
