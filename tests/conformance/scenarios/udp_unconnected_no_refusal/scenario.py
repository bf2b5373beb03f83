# An unconnected endpoint sending to a closed port sees no refusal (the
# kernel reports ICMP errors to connected sockets only); a later datagram
# to a live peer is answered.
from conformance import *

state = {}

def made(self, transport):
    self.transport = transport
    transport.sendto(b"nobody", ("127.0.0.1", state["dead"]))
    loop.call_later(0.05, lambda: transport.sendto(b"live", ("127.0.0.1", state["live"])))

def received(self, data, addr):
    T("datagram_received", data)
    self.transport.close()

Client = protocol("Client", connection_made = made, datagram_received = received,
                  error_received = lambda self, exc: T("error_received", exc),
                  connection_lost = lambda self, exc: T("connection_lost", exc))

def main(argv):
    loop.set_exception_handler(on_exception)
    state["dead"], state["live"] = int(argv[2]), int(argv[3])
    loop.run_until_complete(loop.create_datagram_endpoint(Client, local_addr = ("127.0.0.1", 0)))

run(main)
