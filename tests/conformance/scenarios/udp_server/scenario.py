# An unconnected UDP endpoint answers each datagram to its sender.
from conformance import *

def made(self, transport):
    T("connection_made", transport.get_extra_info("peername"))
    self.transport = transport
    self.n = 0

def received(self, data, addr):
    T("datagram_received", data, addr[0])
    self.transport.sendto(b"re:" + data, addr)
    self.n += 1
    if self.n == 3:
        self.transport.close()

Server = protocol("Server", connection_made = made, datagram_received = received,
                  error_received = lambda self, exc: T("error_received", exc),
                  connection_lost = lambda self, exc: T("connection_lost", exc))

def main(argv):
    loop.set_exception_handler(on_exception)
    tr, _ = loop.run_until_complete(loop.create_datagram_endpoint(Server, local_addr = ("127.0.0.1", 0)))
    peer("PORT %d" % tr.get_extra_info("sockname")[1])

run(main)
