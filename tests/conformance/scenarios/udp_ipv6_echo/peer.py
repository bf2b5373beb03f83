# A UDP server on ::1: answers each datagram in upper case; "STOP" ends it.
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::1", 0))
print("ARG", s.getsockname()[1])
print("READY")
while True:
    data, addr = s.recvfrom(65536)
    print("peer got", data)
    if data == b"STOP":
        break
    s.sendto(data.upper(), addr)
