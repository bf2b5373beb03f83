# eof_received returning True keeps the transport open: the server answers
# after the peer's EOF, then writes EOF itself and closes.
from conformance import *

def made(self, transport):
    self.transport = transport
    self.got = b""

def data(self, data):
    self.got += data

def eof(self):
    T("eof_received", self.got)
    loop.call_later(0.01, self.answer)
    return True

def answer(self):
    T("answer", self.transport.is_closing())
    self.transport.write(b"answer to " + self.got)
    self.transport.write_eof()
    T("after_write_eof", self.transport.is_closing())
    loop.call_later(0.01, self.transport.close)

def lost(self, exc):
    T("connection_lost", exc)
    state["server"].close()

Server = protocol("Server", connection_made = made, data_received = data,
                  eof_received = eof, connection_lost = lost, answer = answer)

state = {}

def main(argv):
    state["server"] = loop.run_until_complete(loop.create_server(Server, "127.0.0.1", 0))
    peer("PORT %d" % state["server"].sockets[0].getsockname()[1])

run(main)
