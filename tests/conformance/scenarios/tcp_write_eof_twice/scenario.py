# write_eof twice is harmless; the peer answers after our EOF.
from conformance import *

def made(self, transport):
    self.transport = transport
    transport.write(b"half")
    transport.write_eof()
    transport.write_eof()
    T("after_write_eof", transport.is_closing(), transport.can_write_eof())

Client = protocol("Client", connection_made = made,
                  data_received = lambda self, data: T("data_received", data),
                  eof_received = lambda self: T("eof_received"),
                  connection_lost = lambda self, exc: T("connection_lost", exc))

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.create_connection(Client, "127.0.0.1", int(argv[2])))

run(main)
