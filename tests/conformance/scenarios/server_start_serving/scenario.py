# create_server(start_serving = False) listens but accepts only after start_serving().
from conformance import *
import asyncio

def lost(self, exc):
    T("connection_lost", exc)
    state["server"].close()
    w = asyncio.ensure_future(state["server"].wait_closed())
    w.add_done_callback(lambda w: T("wait_closed_done"))

Server = protocol("Server", connection_made = lambda self, t: T("connection_made"),
                  data_received = lambda self, data: T("data_received", data),
                  eof_received = lambda self: T("eof_received"), connection_lost = lost)

state = {}

def main(argv):
    loop.set_exception_handler(on_exception)
    srv = loop.run_until_complete(loop.create_server(Server, "127.0.0.1", 0, start_serving = False))
    state["server"] = srv
    T("serving", srv.is_serving())
    loop.run_until_complete(srv.start_serving())
    T("serving", srv.is_serving())
    peer("PORT %d" % srv.sockets[0].getsockname()[1])

run(main)
