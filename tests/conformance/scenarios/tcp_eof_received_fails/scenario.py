# A failing eof_received is reported and closes the connection with the
# error (connection_lost(ScriptError)).
from conformance import *

state = {}

def made(self, transport):
    self.transport = transport

def data(self, data):
    T("data_received", data)
    self.transport.write(data)

def eof(self):
    T("eof_received")
    fail("bad eof")

def lost(self, exc):
    T("connection_lost", exc)
    state["server"].close()

Server = protocol("Server", connection_made = made, data_received = data,
                  eof_received = eof, connection_lost = lost)

def main(argv):
    loop.set_exception_handler(on_exception)
    state["server"] = loop.run_until_complete(loop.create_server(Server, "127.0.0.1", 0))
    peer("PORT %d" % state["server"].sockets[0].getsockname()[1])

run(main)
