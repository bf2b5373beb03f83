# A Unix stream server at TMP/h.sock: reads to EOF, then answers and closes.
import os, socket
path = os.path.join(os.environ["CONFORMANCE_TMP"], "h.sock")
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen()
print("ARG", path)
print("READY")
conn, _ = srv.accept()
got = b""
while True:
    chunk = conn.recv(100)
    if not chunk:
        break
    got += chunk
print("peer got", got)
conn.sendall(b"answer after eof")
conn.close()
