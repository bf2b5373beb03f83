# Connects to "PORT n" in plain text, asks for STARTTLS, waits for OK, then
# talks TLS (trusting ca.pem): waits for the server's line, sends one,
# reads the echo, close_notify.
import os, socket, ssl, sys
print("READY")
port = int(sys.stdin.readline().split()[1])
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"STARTTLS\n")
got = b""
while not got.endswith(b"\n"):
    got += s.recv(100)
print("peer got", got)
ctx = ssl.create_default_context(cafile=os.path.join(os.environ["CONFORMANCE_PKI"], "ca.pem"))
t = ctx.wrap_socket(s, server_hostname="localhost")
ready = b""
while not ready.endswith(b"\n"):
    ready += t.recv(100)
print("peer got over tls", ready)
t.sendall(b"secret\n")
line = b""
while not line.endswith(b"\n"):
    line += t.recv(100)
print("peer got over tls", line, t.version())
t.unwrap()
print("peer unwrapped")
t.close()
