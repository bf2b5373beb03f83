# A TLS client: connects to PORT trusting ca.pem, sends, unwraps (close_notify),
# prints what came back.
import os, socket, ssl, sys
print("READY")
port = int(sys.stdin.readline().split()[1])
ctx = ssl.create_default_context(cafile=os.path.join(os.environ["CONFORMANCE_PKI"], "ca.pem"))
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
s.sendall(b"secret\n")
got = b""
while not got.endswith(b"\n"):
    got += s.recv(100)
print("peer got", got, s.version())
s.unwrap()
print("peer unwrapped")
s.close()
