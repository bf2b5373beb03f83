# Announces a UDP port nobody listens on.
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print("ARG", s.getsockname()[1])
s.close()
print("READY")
