# A TCP server on ::1: the addresses are IPv6 tuples; echo at EOF.
from conformance import *

state = {}

def made(self, transport):
    T("connection_made", transport.get_extra_info("sockname"), transport.get_extra_info("peername")[0], transport.get_extra_info("socket").family == state["family"])
    self.transport = transport
    self.got = b""

def data(self, data):
    self.got += data

def eof(self):
    T("eof_received", self.got)
    self.transport.write(b"echo " + self.got)

def lost(self, exc):
    T("connection_lost", exc)
    state["server"].close()

Server = protocol("Server", connection_made = made, data_received = data, eof_received = eof, connection_lost = lost)

def main(argv):
    loop.set_exception_handler(on_exception)
    state["server"] = loop.run_until_complete(loop.create_server(Server, "::1", 0))
    sock = state["server"].sockets[0]
    state["family"] = sock.family
    T("listening", sock.getsockname())
    peer("PORT %d" % sock.getsockname()[1])

run(main)
