# A connected UDP endpoint over IPv6: the datagram's address and the
# endpoint's peername.
from conformance import *

def made(self, transport):
    T("connection_made", transport.get_extra_info("peername"))
    self.transport = transport
    transport.sendto(b"hello")

def received(self, data, addr):
    T("datagram_received", data, addr)
    self.transport.sendto(b"STOP")
    self.transport.close()

Client = protocol("Client", connection_made = made, datagram_received = received,
                  connection_lost = lambda self, exc: T("connection_lost", exc))

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.create_datagram_endpoint(Client, remote_addr = ("::1", int(argv[2]))))

run(main)
