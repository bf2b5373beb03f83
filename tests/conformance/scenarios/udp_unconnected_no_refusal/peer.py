# Announces a UDP port nobody listens on (bound, then closed), and a live
# UDP echo server's port.
import socket
dead = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
dead.bind(("127.0.0.1", 0))
print("ARG", dead.getsockname()[1])
dead.close()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print("ARG", s.getsockname()[1])
print("READY")
data, addr = s.recvfrom(100)
print("peer got", data)
s.sendto(data.upper(), addr)
