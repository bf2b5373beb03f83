# The TLS peer closes its socket without close_notify.
from conformance import *
import ssl

def made(self, transport):
    self.transport = transport
    transport.write(b"question\n")

Client = protocol("Client", connection_made = made,
                  data_received = lambda self, data: T("data_received", data),
                  eof_received = lambda self: T("eof_received"),
                  connection_lost = lambda self, exc: T("connection_lost", exc))

def main(argv):
    loop.set_exception_handler(on_exception)
    ctx = ssl.create_default_context(cafile = argv[1] + "/ca.pem")
    loop.run_until_complete(loop.create_connection(Client, "127.0.0.1", int(argv[2]), ssl = ctx, server_hostname = "localhost"))

run(main)
