# A failing connection_made (plain TCP) is only reported: the connection
# stays open and its other callbacks still run.
from conformance import *

state = {}

def made(self, transport):
    self.transport = transport
    fail("bad start")

def data(self, data):
    T("data_received", data)
    self.transport.write(data)

def lost(self, exc):
    T("connection_lost", exc)
    state["server"].close()

Server = protocol("Server", connection_made = made, data_received = data,
                  eof_received = lambda self: T("eof_received"), connection_lost = lost)

def main(argv):
    loop.set_exception_handler(on_exception)
    state["server"] = loop.run_until_complete(loop.create_server(Server, "127.0.0.1", 0))
    peer("PORT %d" % state["server"].sockets[0].getsockname()[1])

run(main)
