# server.close() with a client connected: the server stops listening, the
# connection goes on, and wait_closed() completes only once it is lost.
from conformance import *
import asyncio

state = {}

def made(self, transport):
    self.transport = transport
    s = state["server"]
    s.close()
    T("closed", s.is_serving())
    asyncio.ensure_future(s.wait_closed()).add_done_callback(lambda f: T("wait_closed done"))
    peer("SEND")

def data(self, data):
    T("data_received", data)
    self.transport.write(data)

Server = protocol("Server", connection_made = made, data_received = data,
                  eof_received = lambda self: T("eof_received"),
                  connection_lost = lambda self, exc: T("connection_lost", exc))

def main(argv):
    loop.set_exception_handler(on_exception)
    state["server"] = loop.run_until_complete(loop.create_server(Server, "127.0.0.1", 0))
    peer("PORT %d" % state["server"].sockets[0].getsockname()[1])

run(main)
