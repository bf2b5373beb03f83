# A TCP client: connects, writes twice, half-closes, reads the answer.
from conformance import *

def made(self, transport):
    T("connection_made", transport.get_extra_info("peername"))
    T("can_write_eof", transport.can_write_eof())
    transport.write(b"hello ")
    transport.writelines([b"wor", b"ld"])
    transport.write_eof()
    T("is_closing", transport.is_closing())
    self.transport = transport
    self.got = b""

def data(self, data):
    self.got += data

def eof(self):
    T("eof_received", self.got)

def lost(self, exc):
    T("connection_lost", exc)
    T("is_closing", self.transport.is_closing())

Client = protocol("Client", connection_made = made, data_received = data,
                  eof_received = eof, connection_lost = lost)

def main(argv):
    loop.run_until_complete(loop.create_connection(Client, "127.0.0.1", int(argv[2])))

run(main)
