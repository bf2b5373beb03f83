# After the peer's EOF (kept open), writes still reach it, in several
# callbacks, until our close.
from conformance import *

def made(self, transport):
    self.transport = transport
    self.n = 0

def eof(self):
    T("eof_received", self.transport.is_reading())
    loop.call_soon(self.more)
    return True

def more(self):
    self.n += 1
    self.transport.write([b"part1;", b"part2;", b"part3;"][self.n - 1])
    if self.n < 3:
        loop.call_soon(self.more)
    else:
        self.transport.close()

def lost(self, exc):
    T("connection_lost", exc)
    state["server"].close()

Server = protocol("Server", connection_made = made, eof_received = eof, more = more,
                  data_received = lambda self, data: T("data_received", data), connection_lost = lost)

state = {}

def main(argv):
    loop.set_exception_handler(on_exception)
    state["server"] = loop.run_until_complete(loop.create_server(Server, "127.0.0.1", 0))
    peer("PORT %d" % state["server"].sockets[0].getsockname()[1])

run(main)
