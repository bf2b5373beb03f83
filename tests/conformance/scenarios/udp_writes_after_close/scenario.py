# A connected UDP endpoint: sends after close are dropped; from the fifth
# count (closing counts as the first) each is reported.
from conformance import *

def made(self, transport):
    transport.close()
    for i in range(6):
        T("sendto", i)
        transport.sendto(b"late")

Client = protocol("Client", connection_made = made,
                  connection_lost = lambda self, exc: T("connection_lost", exc))

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.create_datagram_endpoint(Client, remote_addr = ("127.0.0.1", 9)))

run(main)
