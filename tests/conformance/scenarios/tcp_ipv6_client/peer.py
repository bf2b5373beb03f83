# A TCP server on ::1: reads to EOF, answers, closes.
import socket
srv = socket.create_server(("::1", 0), family=socket.AF_INET6)
print("ARG", srv.getsockname()[1])
print("READY")
conn, _ = srv.accept()
got = b""
while True:
    chunk = conn.recv(100)
    if not chunk:
        break
    got += chunk
print("peer got", got)
conn.sendall(b"v6 answer")
conn.close()
