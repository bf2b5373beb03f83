# Over TLS a failing connection_made closes the connection (asyncio calls it
# inside the TLS layer's read).
from conformance import *
import ssl

def made(self, transport):
    T("connection_made")
    transport.write(b"first\n")
    fail("no")

def lost(self, exc):
    T("connection_lost", exc)

Client = protocol("Client", connection_made = made, connection_lost = lost)

def main(argv):
    loop.set_exception_handler(on_exception)
    ctx = ssl.create_default_context(cafile = argv[1] + "/ca.pem")
    f = loop.create_connection(Client, "127.0.0.1", int(argv[2]), ssl = ctx, server_hostname = "localhost")
    f.add_done_callback(lambda f: T("connected", f.exception()))

run(main)
