# A BufferedProtocol over TLS: get_buffer/buffer_updated, EOF at the
# client's close_notify.
from conformance import *
import ssl

def made(self, transport):
    self.transport = transport
    self.buf = bytearray(3)
    self.got = b""

def get_buffer(self, n):
    return self.buf

def updated(self, n):
    self.got += self.buf[:n]
    if self.got[-1:] == b"\n":
        T("line", self.got)
        self.transport.write(self.got)

def eof(self):
    T("eof_received")

def lost(self, exc):
    T("connection_lost", exc)
    state["server"].close()

Server = protocol("Server", connection_made = made, get_buffer = get_buffer,
                  buffer_updated = updated, eof_received = eof, connection_lost = lost)

state = {}

def main(argv):
    loop.set_exception_handler(on_exception)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(argv[1] + "/server.pem", argv[1] + "/server-key.pem")
    state["server"] = loop.run_until_complete(loop.create_server(Server, "127.0.0.1", 0, ssl = ctx))
    peer("PORT %d" % state["server"].sockets[0].getsockname()[1])

run(main)
