# server.abort_clients(): the connections are aborted, connection_lost(None).
from conformance import *

state = {"n": 0}

def data(self, data):
    T("data_received", data)
    state["n"] += 1
    if state["n"] == 2:
        srv = state["server"]
        srv.close()
        srv.abort_clients()
        T("serving", srv.is_serving())

Conn = protocol("Conn", data_received = data,
                connection_lost = lambda self, exc: T("connection_lost", exc))

def main(argv):
    loop.set_exception_handler(on_exception)
    state["server"] = loop.run_until_complete(loop.create_server(Conn, "127.0.0.1", 0))
    peer("PORT %d" % state["server"].sockets[0].getsockname()[1])

run(main)
