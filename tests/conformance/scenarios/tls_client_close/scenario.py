# A TLS client: handshake, one exchange, close() answered by the peer's
# close_notify (asyncio calls eof_received before connection_lost(None)).
from conformance import *
import ssl

def made(self, transport):
    T("connection_made", transport.get_extra_info("ssl_object").version())
    self.transport = transport
    transport.write(b"hello server\n")

def data(self, data):
    T("data_received", data)
    self.transport.close()

def eof(self):
    T("eof_received")

def lost(self, exc):
    T("connection_lost", exc)

Client = protocol("Client", connection_made = made, data_received = data,
                  eof_received = eof, connection_lost = lost)

def main(argv):
    loop.set_exception_handler(on_exception)
    ctx = ssl.create_default_context(cafile = argv[1] + "/ca.pem")
    loop.run_until_complete(loop.create_connection(Client, "127.0.0.1", int(argv[2]), ssl = ctx, server_hostname = "localhost"))

run(main)
