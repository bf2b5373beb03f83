# get_buffer() returning an empty buffer: a RuntimeError closes the
# connection, the waiting bytes are left unread (the peer sees a reset).
from conformance import *

def get_buffer(self, sizehint):
    T("get_buffer")
    return bytearray(0)

def lost(self, exc):
    T("connection_lost", exc, msg(exc))
    state["server"].close()

Server = protocol("Server", get_buffer = get_buffer, buffer_updated = lambda self, n: T("buffer_updated", n),
                  connection_lost = lost)

state = {}

def main(argv):
    loop.set_exception_handler(on_exception)
    state["server"] = loop.run_until_complete(loop.create_server(Server, "127.0.0.1", 0))
    peer("PORT %d" % state["server"].sockets[0].getsockname()[1])

run(main)
