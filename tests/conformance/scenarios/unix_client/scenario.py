# A Unix stream client: connects, writes, reads the answer, sees EOF.
from conformance import *

def made(self, transport):
    T("connection_made", transport.get_extra_info("peername"))
    transport.write(b"hello unix\n")

Client = protocol("Client", connection_made = made,
                  data_received = lambda self, data: T("data_received", data),
                  eof_received = lambda self: T("eof_received"),
                  connection_lost = lambda self, exc: T("connection_lost", exc))

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.create_unix_connection(Client, argv[0] + "/u.sock"))

run(main)
