# eof_received returning False closes the transport: connection_lost(None).
from conformance import *

def made(self, transport):
    self.transport = transport

def eof(self):
    T("eof_received", self.transport.is_closing())
    self.transport.write(b"last words")
    return False

def lost(self, exc):
    T("connection_lost", exc, self.transport.is_closing())
    state["server"].close()

Server = protocol("Server", connection_made = made, eof_received = eof, connection_lost = lost,
                  data_received = lambda self, data: T("data_received", data))

state = {}

def main(argv):
    loop.set_exception_handler(on_exception)
    state["server"] = loop.run_until_complete(loop.create_server(Server, "127.0.0.1", 0))
    peer("PORT %d" % state["server"].sockets[0].getsockname()[1])

run(main)
