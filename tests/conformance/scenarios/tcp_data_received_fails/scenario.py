# A failing data_received is reported and closes its connection at once
# (buffer dropped, connection_lost with the error).
from conformance import *

def made(self, transport):
    self.transport = transport
    transport.write(b"welcome\n")

def data(self, data):
    T("data_received", data)
    fail("bad data")

def lost(self, exc):
    T("connection_lost", exc)
    state["server"].close()

Server = protocol("Server", connection_made = made, data_received = data, connection_lost = lost)

state = {}

def main(argv):
    loop.set_exception_handler(on_exception)
    state["server"] = loop.run_until_complete(loop.create_server(Server, "127.0.0.1", 0))
    peer("PORT %d" % state["server"].sockets[0].getsockname()[1])

run(main)
