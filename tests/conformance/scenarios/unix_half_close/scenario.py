# A Unix stream client half-closes with write_eof and still receives.
from conformance import *

def made(self, transport):
    self.transport = transport
    self.got = b""
    transport.write(b"question")
    T("can_write_eof", transport.can_write_eof())
    transport.write_eof()
    T("after write_eof", transport.is_closing())

def data(self, data):
    self.got += data

def eof(self):
    T("eof_received", self.got)

Client = protocol("Client", connection_made = made, data_received = data, eof_received = eof,
                  connection_lost = lambda self, exc: T("connection_lost", exc))

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.create_unix_connection(Client, argv[2]))

run(main)
