# A TLS client presenting a client certificate (load_cert_chain on a client
# context) to a server that requires one.
from conformance import *
import ssl

def made(self, transport):
    T("connection_made", transport.get_extra_info("peercert")["subject"])
    self.transport = transport
    transport.write(b"hi\n")

def data(self, data):
    T("data_received", data)
    self.transport.close()

Client = protocol("Client", connection_made = made, data_received = data,
                  eof_received = lambda self: T("eof_received"),
                  connection_lost = lambda self, exc: T("connection_lost", exc))

def main(argv):
    loop.set_exception_handler(on_exception)
    ctx = ssl.create_default_context(cafile = argv[1] + "/ca.pem")
    ctx.load_cert_chain(argv[1] + "/client.pem", argv[1] + "/client-key.pem")
    loop.run_until_complete(loop.create_connection(Client, "127.0.0.1", int(argv[2]), ssl = ctx, server_hostname = "localhost"))

run(main)
