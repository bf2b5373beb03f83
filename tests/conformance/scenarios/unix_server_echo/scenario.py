# A Unix stream echo server, closed after its one client.
from conformance import *

def made(self, transport):
    T("connection_made", transport.get_extra_info("peername"), transport.can_write_eof())
    self.transport = transport

def data(self, data):
    T("data_received", data)
    self.transport.write(data)

def eof(self):
    T("eof_received")

def lost(self, exc):
    T("connection_lost", exc)
    state["server"].close()

Echo = protocol("Echo", connection_made = made, data_received = data,
                eof_received = eof, connection_lost = lost)

state = {}

def main(argv):
    loop.set_exception_handler(on_exception)
    state["server"] = loop.run_until_complete(loop.create_unix_server(Echo, argv[0] + "/s.sock"))
    T("sockname", state["server"].sockets[0].getsockname())
    peer("GO")

run(main)
