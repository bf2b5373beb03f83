# server.close() then close_clients(): the connections are closed
# gracefully, wait_closed() completes after them.
from conformance import *
import asyncio

state = {"n": 0}

def data(self, data):
    T("data_received", data)
    state["n"] += 1
    if state["n"] == 2:
        srv = state["server"]
        srv.close()
        T("serving", srv.is_serving())
        srv.close_clients()
        w = asyncio.ensure_future(srv.wait_closed())
        w.add_done_callback(lambda w: T("wait_closed_done", w.result()))

Conn = protocol("Conn", data_received = data,
                connection_lost = lambda self, exc: T("connection_lost", exc))

def main(argv):
    loop.set_exception_handler(on_exception)
    state["server"] = loop.run_until_complete(loop.create_server(Conn, "127.0.0.1", 0))
    peer("PORT %d" % state["server"].sockets[0].getsockname()[1])

run(main)
