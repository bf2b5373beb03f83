# A Unix stream server at TMP/u.sock: reads a line, answers, closes.
import os, socket
path = os.path.join(os.environ["CONFORMANCE_TMP"], "u.sock")
srv = socket.socket(socket.AF_UNIX)
srv.bind(path)
srv.listen()
print("READY")
conn, _ = srv.accept()
got = b""
while not got.endswith(b"\n"):
    got += conn.recv(100)
print("peer got", got)
conn.sendall(b"unix says hi\n")
conn.close()
