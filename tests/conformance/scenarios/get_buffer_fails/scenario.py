# A failing get_buffer closes the connection with its error; the waiting
# bytes stay unread (the peer sees a reset).
from conformance import *

def get_buffer(self, sizehint):
    T("get_buffer")
    fail("no buffer for you")

def lost(self, exc):
    T("connection_lost", exc)
    state["server"].close()

Server = protocol("Server", get_buffer = get_buffer, buffer_updated = lambda self, n: T("buffer_updated", n),
                  connection_lost = lost)

state = {}

def main(argv):
    loop.set_exception_handler(on_exception)
    state["server"] = loop.run_until_complete(loop.create_server(Server, "127.0.0.1", 0))
    peer("PORT %d" % state["server"].sockets[0].getsockname()[1])

run(main)
