# A connected UDP endpoint: datagrams in order, an empty datagram, close.
from conformance import *

def made(self, transport):
    T("connection_made", transport.get_extra_info("peername"))
    self.transport = transport
    self.n = 0
    transport.sendto(b"one")

def received(self, data, addr):
    T("datagram_received", data, addr)
    self.n += 1
    if self.n == 1:
        self.transport.sendto(b"")
    elif self.n == 2:
        self.transport.sendto(b"STOP")
        self.transport.close()
        T("closing", self.transport.is_closing())

def error(self, exc):
    T("error_received", exc)

def lost(self, exc):
    T("connection_lost", exc)

Client = protocol("Client", connection_made = made, datagram_received = received,
                  error_received = error, connection_lost = lost)

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.create_datagram_endpoint(Client, remote_addr = ("127.0.0.1", int(argv[2]))))

run(main)
