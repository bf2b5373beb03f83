# A TCP echo server: echoes, and on EOF returns None (close after flushing).
from conformance import *

def made(self, transport):
    T("connection_made", transport.get_extra_info("sockname") == transport.get_extra_info("socket").getsockname())
    self.transport = transport
    self.got = b""

def data(self, data):
    self.got += data
    self.transport.write(data)

def eof(self):
    T("eof_received", self.got, self.transport.is_closing())

def lost(self, exc):
    T("connection_lost", exc, self.transport.is_closing())
    state["server"].close()
    T("is_serving", state["server"].is_serving())

Echo = protocol("Echo", connection_made = made, data_received = data,
                eof_received = eof, connection_lost = lost)

state = {}

def main(argv):
    state["server"] = loop.run_until_complete(loop.create_server(Echo, "127.0.0.1", 0))
    T("is_serving", state["server"].is_serving())
    peer("PORT %d" % state["server"].sockets[0].getsockname()[1])

run(main)
