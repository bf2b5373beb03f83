# Writes to a TLS transport that is closing or closed are dropped; from the
# fifth count on asyncio warns "SSL connection is closed" for each.
from conformance import *
import ssl

def made(self, transport):
    self.transport = transport
    transport.write(b"hello server\n")

def data(self, data):
    T("data_received", data)
    self.transport.close()
    for i in range(3):
        T("write_while_closing", i)
        self.transport.write(b"dropped")

def lost(self, exc):
    T("connection_lost", exc)
    for i in range(4):
        T("write_after_lost", i)
        self.transport.write(b"late")

Client = protocol("Client", connection_made = made, data_received = data,
                  eof_received = lambda self: T("eof_received"), connection_lost = lost)

def main(argv):
    loop.set_exception_handler(on_exception)
    ctx = ssl.create_default_context(cafile = argv[1] + "/ca.pem")
    loop.run_until_complete(loop.create_connection(Client, "127.0.0.1", int(argv[2]), ssl = ctx, server_hostname = "localhost"))

run(main)
