# A BufferedProtocol server: get_buffer/buffer_updated, eof, echo at EOF.
from conformance import *

def made(self, transport):
    self.transport = transport
    self.buf = bytearray(4)
    self.got = b""

def get_buffer(self, sizehint):
    T("get_buffer", sizehint > 0)
    return self.buf

def updated(self, n):
    self.got += self.buf[:n]

def eof(self):
    T("eof_received", self.got)
    self.transport.write(self.got)

def lost(self, exc):
    T("connection_lost", exc)
    state["server"].close()

Server = protocol("Server", connection_made = made, get_buffer = get_buffer,
                  buffer_updated = updated, eof_received = eof, connection_lost = lost)

state = {}

def main(argv):
    loop.set_exception_handler(on_exception)
    state["server"] = loop.run_until_complete(loop.create_server(Server, "127.0.0.1", 0))
    peer("PORT %d" % state["server"].sockets[0].getsockname()[1])

run(main)
