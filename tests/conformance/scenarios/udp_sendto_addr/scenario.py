# An unconnected endpoint sends with sendto(data, addr) and gets the
# sender's address; a connected one rejects another address.
from conformance import *
import asyncio

state = {}

def made(self, transport):
    self.transport = transport
    T("connection_made", transport.get_extra_info("peername"))
    transport.sendto(b"to addr", ("127.0.0.1", state["port"]))

def received(self, data, addr):
    T("datagram_received", data, addr[1] == state["port"])
    self.transport.sendto(b"STOP", addr)
    self.transport.close()

Client = protocol("Client", connection_made = made, datagram_received = received,
                  connection_lost = lambda self, exc: T("connection_lost", exc))

def main(argv):
    loop.set_exception_handler(on_exception)
    state["port"] = int(argv[2])
    t, _ = loop.run_until_complete(loop.create_datagram_endpoint(asyncio.DatagramProtocol, remote_addr = ("127.0.0.1", state["port"])))
    try:
        t.sendto(b"x", ("127.0.0.1", 9))
        err = None
    except ValueError as e:
        err = e
    T("connected sendto elsewhere", err)
    t.abort()
    loop.run_until_complete(loop.create_datagram_endpoint(Client, local_addr = ("127.0.0.1", 0)))

run(main)
