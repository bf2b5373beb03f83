# The server's certificate is not trusted: create_connection fails with
# SSLCertVerificationError-kind SSLError and no callback runs.
from conformance import *
import ssl

Client = protocol("Client", connection_made = lambda self, t: T("connection_made"),
                  connection_lost = lambda self, exc: T("connection_lost", exc))

def main(argv):
    loop.set_exception_handler(on_exception)
    ctx = ssl.create_default_context()
    f = loop.create_connection(Client, "127.0.0.1", int(argv[2]), ssl = ctx, server_hostname = "localhost")
    f.add_done_callback(lambda f: T("connected", f.exception()))

run(main)
