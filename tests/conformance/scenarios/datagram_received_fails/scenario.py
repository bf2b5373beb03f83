# A failing datagram_received is reported; the endpoint stays open and
# gets the next datagram.
from conformance import *

def made(self, transport):
    self.transport = transport
    transport.sendto(b"hi")

def received(self, data, addr):
    T("datagram_received", data)
    if data == b"one":
        fail("bad datagram")
    self.transport.sendto(b"got " + data)
    self.transport.close()

Client = protocol("Client", connection_made = made, datagram_received = received,
                  connection_lost = lambda self, exc: T("connection_lost", exc))

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.create_datagram_endpoint(Client, remote_addr = ("127.0.0.1", int(argv[2]))))

run(main)
