# A protocol factory that fails on an accepted connection: the connection
# is closed (the peer sees EOF) and the next one is served.
from conformance import *

state = {"n": 0}

def made(self, transport):
    self.transport = transport

def data(self, data):
    self.transport.write(data)
    self.transport.close()
    state["server"].close()

Echo = protocol("Echo", connection_made = made, data_received = data)

def factory():
    state["n"] += 1
    if state["n"] == 1:
        fail("no protocol")
    return Echo()

def main(argv):
    loop.set_exception_handler(on_exception)
    state["server"] = loop.run_until_complete(loop.create_server(factory, "127.0.0.1", 0))
    peer("PORT %d" % state["server"].sockets[0].getsockname()[1])

run(main)
