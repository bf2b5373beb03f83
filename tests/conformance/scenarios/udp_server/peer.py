# Sends three datagrams (one empty) to PORT, prints the answers.
import socket, sys
print("READY")
port = int(sys.stdin.readline().split()[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
for d in (b"alpha", b"", b"omega"):
    s.sendto(d, ("127.0.0.1", port))
    print("peer got", s.recvfrom(100)[0])
