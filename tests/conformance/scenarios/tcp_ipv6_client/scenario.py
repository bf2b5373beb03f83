# A TCP client over IPv6 loopback.
from conformance import *

def made(self, transport):
    T("connection_made", transport.get_extra_info("peername")[0], transport.get_extra_info("socket").family)
    transport.write(b"v6 question")
    transport.write_eof()

Client = protocol("Client", connection_made = made,
                  data_received = lambda self, data: T("data_received", data),
                  eof_received = lambda self: T("eof_received"),
                  connection_lost = lambda self, exc: T("connection_lost", exc))

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.create_connection(Client, "::1", int(argv[2])))

run(main)
