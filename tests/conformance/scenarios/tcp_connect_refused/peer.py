# Announces a port that was just released: connecting is refused.
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print("ARG", s.getsockname()[1])
s.close()
print("READY")
