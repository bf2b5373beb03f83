# Sends "abc" and half-closes; waits for the client's answer to EOF.
import socket
srv = socket.create_server(("127.0.0.1", 0))
print("ARG", srv.getsockname()[1])
print("READY")
conn, _ = srv.accept()
conn.sendall(b"abc")
conn.shutdown(socket.SHUT_WR)
got = b""
while True:
    chunk = conn.recv(65536)
    if not chunk:
        break
    got += chunk
print("peer got", got)
conn.close()
