# A UDP server: sends "one" and "two" to the first sender, then prints
# what the endpoint sent back.
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print("ARG", s.getsockname()[1])
print("READY")
data, addr = s.recvfrom(100)
print("peer got", data)
s.sendto(b"one", addr)
s.sendto(b"two", addr)
data, addr = s.recvfrom(100)
print("peer got", data)
