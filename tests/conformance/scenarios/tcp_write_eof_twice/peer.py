# A TCP server: accepts one connection, reads to EOF, answers with what it
# read in upper case, and closes.
import socket
srv = socket.create_server(("127.0.0.1", 0))
print("ARG", srv.getsockname()[1])
print("READY")
conn, _ = srv.accept()
got = b""
while True:
    chunk = conn.recv(65536)
    if not chunk:
        break
    got += chunk
print("peer got", got)
conn.sendall(got.upper())
conn.close()
