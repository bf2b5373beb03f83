# Waits for "GO", connects to TMP/s.sock, sends, half-closes, reads to EOF.
import os, socket, sys
print("READY")
assert sys.stdin.readline().strip() == "GO"
s = socket.socket(socket.AF_UNIX)
s.connect(os.path.join(os.environ["CONFORMANCE_TMP"], "s.sock"))
s.sendall(b"over unix")
s.shutdown(socket.SHUT_WR)
got = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    got += chunk
print("peer got", got)
s.close()
