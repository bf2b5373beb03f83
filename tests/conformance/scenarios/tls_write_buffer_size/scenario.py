# get_write_buffer_size() of a TLS transport right after the handshake.
from conformance import *
import ssl

def made(self, transport):
    self.transport = transport
    T("buffer", transport.get_write_buffer_size())
    transport.write(b"hello server\n")

def data(self, data):
    T("data_received", data)
    self.transport.close()

Client = protocol("Client", connection_made = made, data_received = data,
                  eof_received = lambda self: T("eof_received"),
                  connection_lost = lambda self, exc: T("connection_lost", exc))

def main(argv):
    loop.set_exception_handler(on_exception)
    ctx = ssl.create_default_context(cafile = argv[1] + "/ca.pem")
    loop.run_until_complete(loop.create_connection(Client, "127.0.0.1", int(argv[2]), ssl = ctx, server_hostname = "localhost"))

run(main)
