# A UDP server: answers each datagram with its upper case, an empty one
# with an empty one; "STOP" ends it.
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print("ARG", s.getsockname()[1])
print("READY")
while True:
    data, addr = s.recvfrom(65536)
    print("peer got", data)
    if data == b"STOP":
        break
    s.sendto(data.upper(), addr)
